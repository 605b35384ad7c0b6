// Error values returned by every libs/bus call (the library never throws
// across its API).
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace aether::bus {

enum class Errc {
  kNotConnected,        // no connection to a server, or the connection closed
  kTimeout,             // deadline passed without an answer
  kNoResponders,        // a request reached no subscriber (distinct from a timeout)
  kDecode,              // a payload did not parse as the expected message type
  kEncode,              // a message could not be serialized
  kServiceError,        // the responder answered with Nats-Service-Error(-Code)
  kJetStream,           // the JetStream API refused a call
  kNotFound,            // stream, consumer, bucket or key does not exist
  kWrongLastRevision,   // KV compare-and-set lost (or create of an existing key)
  kInvalidArgument,     // a caller-supplied value breaks a rule (named in message)
  kUnsupportedContent,  // Content-Type is neither protobuf nor JSON
  kInternal,            // an unexpected cnats status
};

[[nodiscard]] std::string_view to_string(Errc code);

struct Error {
  Errc code = Errc::kInternal;
  std::string message;
  // The Nats-Service-Error-Code of an error reply (HTTP-like: 400, 404, 409,
  // 500, 503). 0 when the error did not come from, or go to, a responder.
  int service_code = 0;
};

template <class T>
using Result = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> fail(Errc code, std::string message,
                                                 int service_code = 0) {
  return std::unexpected(Error{code, std::move(message), service_code});
}

// An error a handler returns to make the caller see `code` and `message` in
// Nats-Service-Error-Code / Nats-Service-Error.
[[nodiscard]] inline std::unexpected<Error> service_error(int code, std::string message) {
  return fail(Errc::kServiceError, std::move(message), code);
}

// The service code an error is replied with: its own service_code when set,
// else one derived from its Errc (kInvalidArgument/kDecode -> 400, ...).
[[nodiscard]] int service_code_for(const Error& error);

}  // namespace aether::bus
