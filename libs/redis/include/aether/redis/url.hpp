// REDIS_URL: redis://[[user]:password@]host[:port][/db]
//
// Read through libs/config's parse_url(); only the plain-TCP scheme is accepted
// (hiredis 0.14 has no TLS, so rediss:// is refused with a message saying so).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aether/redis/error.hpp"

namespace aether::redis {

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string user;                     // Redis 6 ACL user; empty: AUTH <password> only
  std::optional<std::string> password;  // AUTH when set
  int db = 0;                           // SELECT when not 0
};

// Errors are kBadUrl and name the rule, e.g. "REDIS_URL: db must be 0..15 digits, got 'x'".
[[nodiscard]] Result<Endpoint> parse_redis_url(std::string_view url);

}  // namespace aether::redis
