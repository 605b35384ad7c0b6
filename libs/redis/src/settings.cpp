#include "aether/redis/settings.hpp"

namespace aether::redis {

using namespace std::chrono_literals;

RedisSettings::RedisSettings(config::Spec& spec)
    : url_(spec.string("REDIS_URL", "redis://127.0.0.1:6379",
                       "Redis URL: redis://[[user]:password@]host[:port][/db]")
               .secret()
               .check([](const std::string& v) -> std::optional<std::string> {
                 auto ep = parse_redis_url(v);
                 if (!ep) return ep.error().message;
                 return std::nullopt;
               })),
      pool_size_(spec.integer("AETHER_REDIS_POOL_SIZE", 16,
                              "most Redis connections open at once, per process")
                     .range(1, 1024)),
      connect_timeout_(spec.duration("AETHER_REDIS_CONNECT_TIMEOUT", 500ms,
                                     "bound on opening one Redis connection")
                           .range(1ms, 60'000ms)),
      command_timeout_(
          spec.duration("AETHER_REDIS_COMMAND_TIMEOUT", 500ms, "bound on one Redis command's reply")
              .range(1ms, 60'000ms)),
      rates_(spec.string("AETHER_RATE_LIMITS", std::string(kDefaultRates),
                         "token buckets per API key and route class: "
                         "CLASS=COUNT/UNIT[:BURST],... (UNIT s, m or h)")
                 .check([](const std::string& v) -> std::optional<std::string> {
                   auto rates = parse_rates(v);
                   if (!rates) return rates.error().message;
                   return std::nullopt;
                 })),
      lease_ttl_(spec.duration("AETHER_RATE_LIMIT_LEASE", 100ms,
                               "how long a replica may spend rate-limit tokens it leased from "
                               "Redis in a batch (0: one Redis call per request)")
                     .range(0ms, 10'000ms)),
      response_ttl_(spec.duration("AETHER_IDEMPOTENCY_TTL", 24h,
                                  "how long a POST's response is replayed for its Idempotency-Key")
                        .range(1s, 24h * 30)),
      lock_ttl_(spec.duration("AETHER_IDEMPOTENCY_LOCK_TTL", 90s,
                              "how long an unfinished request holds its Idempotency-Key "
                              "(longer than the slowest POST, e.g. ?wait=ready)")
                    .range(1s, 1h)),
      max_body_(spec.size("AETHER_IDEMPOTENCY_MAX_BODY", 1024 * 1024,
                          "largest response body stored for replay (larger: not replayable)")
                    .range(0, 64 * 1024 * 1024)) {}

PoolOptions RedisSettings::pool() const {
  PoolOptions options;
  options.endpoint = parse_redis_url(url_.value()).value_or(Endpoint{});
  options.size = static_cast<std::size_t>(pool_size_.value());
  options.connect_timeout = connect_timeout_.value();
  options.command_timeout = command_timeout_.value();
  return options;
}

RateLimiterOptions RedisSettings::limiter() const {
  RateLimiterOptions options;
  options.rates = parse_rates(rates_.value()).value_or(Rates{});
  return options;
}

LeaseOptions RedisSettings::lease() const {
  LeaseOptions options;
  options.lease_ttl = lease_ttl_.value();
  return options;
}

IdempotencyOptions RedisSettings::idempotency() const {
  IdempotencyOptions options;
  options.response_ttl = response_ttl_.value();
  options.lock_ttl = lock_ttl_.value();
  options.max_body_bytes = static_cast<std::size_t>(max_body_.value());
  return options;
}

}  // namespace aether::redis
