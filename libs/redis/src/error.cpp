#include "aether/redis/error.hpp"

namespace aether::redis {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::kBadUrl:
      return "bad_url";
    case Errc::kInvalidArgument:
      return "invalid_argument";
    case Errc::kUnavailable:
      return "unavailable";
    case Errc::kPoolExhausted:
      return "pool_exhausted";
    case Errc::kServerError:
      return "server_error";
    case Errc::kUnexpectedReply:
      return "unexpected_reply";
  }
  return "unknown";
}

}  // namespace aether::redis
