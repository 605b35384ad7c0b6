// The one error type of aetherctl: what to print and which exit code to leave
// with. Exit codes are documented in README.md and chosen so a script can
// tell "not found" from "conflict" from "the platform is down".
#pragma once

#include <expected>
#include <string>

namespace aether::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;        // anything not listed below
inline constexpr int kExitUsage = 2;        // bad flags or arguments (CLI11)
inline constexpr int kExitInvalid = 3;      // the api refused the input (400, 413, 415, 422)
inline constexpr int kExitAuth = 4;         // 401 / 403
inline constexpr int kExitNotFound = 5;     // 404, or no responders on the bus
inline constexpr int kExitConflict = 6;     // 409 (wrong state, idempotency key in use)
inline constexpr int kExitUnavailable = 7;  // 429, 503, 504, cannot connect, timeout
inline constexpr int kExitServer = 8;       // other 5xx

struct CtlError {
  int exit_code = kExitError;
  std::string message;
};

template <class T>
using Result = std::expected<T, CtlError>;

[[nodiscard]] inline std::unexpected<CtlError> fail(int exit_code, std::string message) {
  return std::unexpected(CtlError{exit_code, std::move(message)});
}

// The exit code for an HTTP status (2xx: kExitOk).
[[nodiscard]] int exit_code_for_status(long status);
// The exit code for a NATS micro error code (Nats-Service-Error-Code).
[[nodiscard]] int exit_code_for_service_code(int code);

}  // namespace aether::ctl
