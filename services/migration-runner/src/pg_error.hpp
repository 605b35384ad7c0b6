// One-line descriptions of PostgreSQL errors.
#pragma once

#include <libpq-fe.h>

#include <optional>
#include <string>

namespace aether::migrate {

// "syntax error at or near \"TABEL\" (SQLSTATE 42601; hint: ...)", falling back
// to the connection's message when the result has no fields (lost connection).
[[nodiscard]] std::string describe_pg_error(PGconn* conn, const PGresult* res);

// The 1-based character position PostgreSQL reported inside the statement.
[[nodiscard]] std::optional<std::size_t> pg_error_position(const PGresult* res);

}  // namespace aether::migrate
