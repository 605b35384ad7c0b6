#include "aether/bus/errors.hpp"

namespace aether::bus {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::kNotConnected:
      return "not_connected";
    case Errc::kTimeout:
      return "timeout";
    case Errc::kNoResponders:
      return "no_responders";
    case Errc::kDecode:
      return "decode";
    case Errc::kEncode:
      return "encode";
    case Errc::kServiceError:
      return "service_error";
    case Errc::kJetStream:
      return "jetstream";
    case Errc::kNotFound:
      return "not_found";
    case Errc::kWrongLastRevision:
      return "wrong_last_revision";
    case Errc::kInvalidArgument:
      return "invalid_argument";
    case Errc::kUnsupportedContent:
      return "unsupported_content";
    case Errc::kInternal:
      return "internal";
  }
  return "unknown";
}

int service_code_for(const Error& error) {
  if (error.service_code != 0) return error.service_code;
  switch (error.code) {
    case Errc::kDecode:
    case Errc::kInvalidArgument:
    case Errc::kUnsupportedContent:
      return 400;
    case Errc::kNotFound:
      return 404;
    case Errc::kWrongLastRevision:
      return 409;
    case Errc::kNotConnected:
    case Errc::kNoResponders:
    case Errc::kTimeout:
      return 503;
    default:
      return 500;
  }
}

}  // namespace aether::bus
