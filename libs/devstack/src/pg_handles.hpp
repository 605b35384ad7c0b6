// RAII owners of libpq handles (private to the library).
#pragma once

#include <libpq-fe.h>

#include <memory>

namespace aether::devstack::detail {

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultDeleter {
  void operator()(PGresult* res) const { PQclear(res); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

}  // namespace aether::devstack::detail
