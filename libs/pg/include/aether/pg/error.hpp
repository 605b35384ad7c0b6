// Typed PostgreSQL errors, so a caller can tell "the database is unavailable"
// (answer 503 and retry later) from "the data broke a constraint" (409/422)
// from a bug in our SQL (500), without parsing messages.
#pragma once

#include <libpq-fe.h>

#include <expected>
#include <string>
#include <string_view>

namespace aether::pg {

enum class Errc {
  kUnavailable,  // no connection (server down, pool exhausted, connection lost, admin shutdown)
  kTimeout,      // statement_timeout or lock timeout hit (SQLSTATE 57014, 55P03)
  kConflict,  // unique or exclusion violation (23505, 23P01), serialization failure (40001, 40P01)
  kInvalid,   // a CHECK / NOT NULL / foreign key violated, or bad input data (class 22)
  kBug,       // anything else: syntax, undefined column, wrong types — our mistake
};

[[nodiscard]] std::string_view to_string(Errc code);
// The HTTP status a REST edge answers for each class: 503, 503, 409, 422, 500.
[[nodiscard]] int http_status(Errc code);

struct Error {
  Errc code = Errc::kBug;
  std::string message;     // one line, SQLSTATE and detail included
  std::string sqlstate;    // empty for connection-level failures
  std::string constraint;  // name of the violated constraint, when PostgreSQL says
};

template <class T>
using Result = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> make_error(Errc code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message), {}, {}});
}

// Maps a SQLSTATE to its class ("" : a connection-level failure, kUnavailable).
[[nodiscard]] Errc classify_sqlstate(std::string_view sqlstate);

// The error of a failed command: classified by its SQLSTATE, message with
// detail and hint, falling back to the connection's message when the result
// has no fields (a lost connection). `what` prefixes the message.
[[nodiscard]] Error error_from_result(PGconn* conn, const PGresult* res, std::string_view what);

}  // namespace aether::pg
