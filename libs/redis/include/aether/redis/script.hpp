// A Lua script run by its SHA1 (EVALSHA), falling back to EVAL when Redis
// answers NOSCRIPT (after a restart, a failover or SCRIPT FLUSH). EVAL loads
// the script into Redis' cache as a side effect, so the next EVALSHA works
// again: one extra round trip per connection-to-a-fresh-server, not per call.
//
// The SHA1 is computed here (OpenSSL), so the first call is already EVALSHA.
// Immutable after construction except for the fallback counter: run() may be
// called from any thread, each with its own Connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "aether/redis/connection.hpp"
#include "aether/redis/error.hpp"

namespace aether::redis {

class Script {
 public:
  explicit Script(std::string source);
  Script(const Script&) = delete;
  Script& operator=(const Script&) = delete;

  [[nodiscard]] const std::string& sha1() const { return sha1_; }
  [[nodiscard]] const std::string& source() const { return source_; }

  [[nodiscard]] Result<Reply> run(Connection& connection,
                                  std::initializer_list<std::string_view> keys,
                                  std::initializer_list<std::string_view> args) const;

  // How often run() had to fall back to EVAL (for tests and metrics).
  [[nodiscard]] std::uint64_t fallbacks() const { return fallbacks_.load(); }

 private:
  std::string source_;
  std::string sha1_;
  mutable std::atomic<std::uint64_t> fallbacks_{0};
};

// Lower-case hex SHA1 of `data` (what SCRIPT LOAD returns for a script).
[[nodiscard]] std::string sha1_hex(std::string_view data);

}  // namespace aether::redis
