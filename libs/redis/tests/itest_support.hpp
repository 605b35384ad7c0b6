// What the integration tests share: a real redis-server on a free port and
// pools pointed at it.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "aether/devstack/redis.hpp"
#include "aether/redis/pool.hpp"
#include "aether/redis/rate_limiter.hpp"
#include "aether/redis/url.hpp"

namespace aether::redis::testing {

inline devstack::Redis start_redis() {
  auto server = devstack::Redis::start();
  INFO((server ? std::string() : server.error().message));
  REQUIRE(server.has_value());
  return std::move(*server);
}

inline PoolOptions pool_options(const devstack::Redis& server, std::size_t size = 4) {
  auto endpoint = parse_redis_url(server.url());
  REQUIRE(endpoint.has_value());
  PoolOptions options;
  options.endpoint = *endpoint;
  options.size = size;
  options.reconnect_backoff = std::chrono::milliseconds(50);
  return options;
}

inline std::unique_ptr<Pool> make_pool(PoolOptions options) {
  auto pool = Pool::create(std::move(options));
  REQUIRE(pool.has_value());
  return std::move(*pool);
}

// Polls `ok` every 20 ms for up to `bound`; true once it held.
inline bool eventually(const std::function<bool()>& ok,
                       std::chrono::milliseconds bound = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ok();
}

// A limiter over `pool` with the rates of `rates` (parse_rates syntax).
inline RateLimiter make_limiter(Pool& pool, const char* rates) {
  auto parsed = parse_rates(rates);
  REQUIRE(parsed.has_value());
  auto limiter = RateLimiter::create(pool, RateLimiterOptions{.rates = *parsed});
  REQUIRE(limiter.has_value());
  return std::move(*limiter);
}

}  // namespace aether::redis::testing
