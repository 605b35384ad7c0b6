// Error values returned at every libs/redis boundary.
//
// How the api maps them to HTTP: kUnavailable and kPoolExhausted are 503 with
// Retry-After (see retry_after()); kInvalidArgument is the caller's bug or bad
// input it passed on (400 when it came from the client, e.g. an Idempotency-Key
// that fails validate_idempotency_key()); the rest are 500.
#pragma once

#include <chrono>
#include <expected>
#include <string>

namespace aether::redis {

enum class Errc {
  kBadUrl = 1,       // REDIS_URL could not be read (names the part that is wrong)
  kInvalidArgument,  // a bad option or argument (unknown route class, empty key, ...)
  kUnavailable,      // no connection: refused, timed out, dropped, or Redis is loading
  kPoolExhausted,    // every pooled connection stayed busy for the whole acquire timeout
  kServerError,      // Redis answered with an error reply (script error, WRONGTYPE, ...)
  kUnexpectedReply,  // Redis answered, but not with the shape the caller expects
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> make_error(Errc code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

// True for errors that mean "Redis cannot be reached right now" (the api's 503).
[[nodiscard]] inline bool is_unavailable(const Error& error) {
  return error.code == Errc::kUnavailable || error.code == Errc::kPoolExhausted;
}

// The Retry-After the api sends with a 503 for `error`, in whole seconds.
[[nodiscard]] inline std::chrono::seconds retry_after(const Error& error) {
  return error.code == Errc::kPoolExhausted ? std::chrono::seconds(1) : std::chrono::seconds(2);
}

[[nodiscard]] const char* errc_name(Errc code);

}  // namespace aether::redis
