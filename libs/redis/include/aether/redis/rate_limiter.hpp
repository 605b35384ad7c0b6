// Rate limits per (subject, route class): a token bucket in Redis, updated by
// one Lua script, so concurrent checks from any number of api replicas are
// atomic and agree (the script reads Redis' own clock, TIME, not the callers').
//
// A class's Rate is `tokens_per_second` refill with room for `burst` tokens; a
// bucket starts full. check() takes `cost` tokens (1 per request) when there
// are enough and says allowed; otherwise it takes none and says when enough
// will be there (retry_after). A bucket's key expires once it would be full
// again, so idle subjects cost no memory.
//
// Rates come from text, e.g. AETHER_RATE_LIMITS="read=100/s:200,write=20/s:40":
// CLASS=COUNT/UNIT[:BURST], UNIT one of s, m, h; BURST defaults to COUNT.
//
// Threads: check() is thread-safe (the Pool is; the rest is immutable).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aether/redis/error.hpp"
#include "aether/redis/pool.hpp"
#include "aether/redis/script.hpp"

namespace aether::redis {

struct Rate {
  double tokens_per_second = 0;
  std::int64_t burst = 0;  // bucket capacity: the most requests at once
};
using Rates = std::map<std::string, Rate, std::less<>>;

// The api's default classes (read = GETs, write = POST/DELETE of VMs and
// keys, exec = exec and file transfer, events = opening an SSE stream).
inline constexpr std::string_view kDefaultRates =
    "read=100/s:200,write=20/s:40,exec=20/s:40,events=1/s:5";

// Errors (kInvalidArgument) name the item and the rule, e.g.
// "AETHER_RATE_LIMITS item 'read=0/s': the count must be a positive number".
[[nodiscard]] Result<Rates> parse_rates(std::string_view text);
[[nodiscard]] std::string format_rates(const Rates& rates);

struct Decision {
  bool allowed = false;
  std::int64_t granted = 0;    // tokens taken (cost, or a lease's share; 0 when denied)
  std::int64_t limit = 0;      // the class's burst (RateLimit-Limit)
  std::int64_t remaining = 0;  // whole tokens left after this check (RateLimit-Remaining)
  std::chrono::milliseconds retry_after{0};  // when denied: until `cost` tokens are back
  std::chrono::milliseconds reset_after{0};  // until the bucket is full again
};

struct HttpHeader {
  std::string name;
  std::string value;
};
// RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (seconds until full),
// and Retry-After (whole seconds, at least 1) when denied.
[[nodiscard]] std::vector<HttpHeader> rate_limit_headers(const Decision& decision);

struct RateLimiterOptions {
  Rates rates;
  std::string key_prefix = "aether:rl:";  // bucket key: <prefix><class>:<subject>
};

class RateLimiter {
 public:
  // kInvalidArgument when `rates` is empty or a rate is not positive.
  [[nodiscard]] static Result<RateLimiter> create(Pool& pool, RateLimiterOptions options);

  // Takes `cost` tokens from the bucket of (`subject`, `route_class`), e.g. an
  // api key's id and "read". kInvalidArgument for an unknown class, an empty
  // subject or cost < 1; a cost above the burst is never allowed (retry_after 0).
  // Redis errors as the Pool gives them (kUnavailable -> 503).
  [[nodiscard]] Result<Decision> check(std::string_view subject, std::string_view route_class,
                                       std::int64_t cost = 1) const;
  // Takes up to `max_tokens` (at least 1) in one call: all of them when
  // there, else every whole token left; denied only when not even one is.
  // `granted` says how many were taken (leased_rate_limiter.hpp spends them).
  [[nodiscard]] Result<Decision> lease(std::string_view subject, std::string_view route_class,
                                       std::int64_t max_tokens) const;

  [[nodiscard]] const Rates& rates() const { return options_.rates; }
  [[nodiscard]] const Script& script() const { return *script_; }

 private:
  RateLimiter(Pool& pool, RateLimiterOptions options);
  [[nodiscard]] Result<Decision> take(std::string_view subject, std::string_view route_class,
                                      std::int64_t cost, std::int64_t min_cost) const;

  Pool* pool_;
  RateLimiterOptions options_;
  std::shared_ptr<const Script> script_;  // shared: RateLimiter stays movable
};

// The Lua source (exposed so the README and tests can show it).
[[nodiscard]] std::string_view token_bucket_lua();

}  // namespace aether::redis
