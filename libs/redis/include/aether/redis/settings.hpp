// The environment variables libs/redis reads, declared on a binary's Spec
// (like libs/log's LogOptions), so the api's main only wires them:
//
//   aether::redis::RedisSettings redis_settings(spec);
//   ... cli.parse(argc, argv) ...
//   auto pool = aether::redis::Pool::create(redis_settings.pool());  // Result<unique_ptr<Pool>>
//   auto limiter = aether::redis::RateLimiter::create(**pool, redis_settings.limiter());
//   auto idem = aether::redis::IdempotencyStore::create(**pool, redis_settings.idempotency());
//
// REDIS_URL (secret: the password is masked), AETHER_REDIS_POOL_SIZE,
// AETHER_REDIS_CONNECT_TIMEOUT, AETHER_REDIS_COMMAND_TIMEOUT,
// AETHER_RATE_LIMITS, AETHER_RATE_LIMIT_LEASE, AETHER_IDEMPOTENCY_TTL, AETHER_IDEMPOTENCY_LOCK_TTL,
// AETHER_IDEMPOTENCY_MAX_BODY.
// Every value is checked by Spec::load() (bad ones are named there), so after
// a successful load the accessors cannot fail. Main thread only, at start-up.
#pragma once

#include "aether/config/config.hpp"
#include "aether/redis/idempotency.hpp"
#include "aether/redis/leased_rate_limiter.hpp"
#include "aether/redis/pool.hpp"
#include "aether/redis/rate_limiter.hpp"

namespace aether::redis {

class RedisSettings {
 public:
  explicit RedisSettings(config::Spec& spec);

  [[nodiscard]] PoolOptions pool() const;
  [[nodiscard]] RateLimiterOptions limiter() const;
  [[nodiscard]] LeaseOptions lease() const;
  [[nodiscard]] IdempotencyOptions idempotency() const;

 private:
  const config::StringField& url_;
  const config::IntField& pool_size_;
  const config::DurationField& connect_timeout_;
  const config::DurationField& command_timeout_;
  const config::StringField& rates_;
  const config::DurationField& lease_ttl_;
  const config::DurationField& response_ttl_;
  const config::DurationField& lock_ttl_;
  const config::SizeField& max_body_;
};

}  // namespace aether::redis
