// RAII for libpq handles and one connect() that classifies failures.
//
// PgConn and PgResult own a PGconn / PGresult and free it on destruction.
// connect() opens a blocking connection with a bounded connect timeout and an
// application_name, and turns libpq's failure text into an Errc a caller can
// map to an exit code (unreachable, bad credentials, missing database).
// A PgConn is used by one thread at a time (libpq's rule).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

namespace aether::schema {

enum class Errc {
  kUnreachable,    // no server answered (refused, timeout, DNS)
  kAuthFailed,     // the server rejected the credentials
  kNoDatabase,     // the database named in the URL does not exist
  kBadUrl,         // DATABASE_URL could not be parsed
  kConnectFailed,  // any other connection failure
  kQueryFailed,    // a query failed on an open connection
  kSchemaTooOld,   // (reserved for callers that turn a check into an error)
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

struct ConnectOptions {
  std::string application_name = "aether";
  std::chrono::seconds connect_timeout{5};  // used unless the URL sets connect_timeout
};

// Opens a connection to `url` (postgresql:// URL or key=value string).
[[nodiscard]] Result<PgConn> connect(std::string_view url, const ConnectOptions& options = {});

// Classifies libpq's connection failure text (exposed for unit tests).
[[nodiscard]] Errc classify_connect_failure(std::string_view libpq_message);

// The URL with its password replaced by "****", for logs and error messages.
[[nodiscard]] std::string mask_url(std::string_view url);

// libpq's multi-line error text folded into one line.
[[nodiscard]] std::string one_line(std::string_view text);

}  // namespace aether::schema
