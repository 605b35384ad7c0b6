// The error every api store returns: a class a route maps to an HTTP status,
// a one-line message, and the request field at fault (for problem+json
// `errors[]`), when there is one.
#pragma once

#include <expected>
#include <string>

#include "aether/pg/error.hpp"

namespace aether::api {

enum class StoreErrc {
  kUnavailable,    // 503 + Retry-After: PostgreSQL down, pool exhausted, timeout
  kNotFound,       // 404 (also: another tenant's row, never a 403)
  kConflict,       // 409: already exists, or a concurrent change
  kInvalid,        // 422: a value the database refuses (field names it)
  kQuotaExceeded,  // the tenant's quota would be exceeded (field names which)
  kInternal,       // 500: a bug (bad SQL), logged with the message
};

struct StoreError {
  StoreErrc code = StoreErrc::kInternal;
  std::string message;
  std::string field;  // e.g. "id", "limit", "cursor", "max_vms"

  StoreError() = default;
  StoreError(StoreErrc c, std::string m, std::string f = {})
      : code(c), message(std::move(m)), field(std::move(f)) {}
  // From libs/pg: unavailable/timeout -> kUnavailable, conflict -> kConflict,
  // invalid -> kInvalid, bug -> kInternal.
  StoreError(const pg::Error& e);  // NOLINT(google-explicit-constructor): used by Pool::transaction

  // 503, 404, 409, 422, 403 (quota: store_problem() in vm_json.hpp), 500.
  [[nodiscard]] int http_status() const;
};

template <class T>
using StoreResult = std::expected<T, StoreError>;

[[nodiscard]] inline std::unexpected<StoreError> store_error(StoreErrc code, std::string message,
                                                             std::string field = {}) {
  return std::unexpected<StoreError>(StoreError(code, std::move(message), std::move(field)));
}

}  // namespace aether::api
