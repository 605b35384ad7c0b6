// The environment variables libs/redis declares: defaults, values, refusals.
#include <catch2/catch.hpp>

#include "aether/redis/settings.hpp"

using namespace aether;
using namespace std::chrono_literals;

TEST_CASE("defaults give a local pool, the default rates and the documented TTLs") {
  config::Spec spec("t", "t");
  redis::RedisSettings settings(spec);
  REQUIRE(spec.load(config::map_env({})).has_value());
  auto pool = settings.pool();
  CHECK(pool.endpoint.host == "127.0.0.1");
  CHECK(pool.endpoint.port == 6379);
  CHECK(pool.size == 16);
  CHECK(settings.limiter().rates.contains("read"));
  CHECK(settings.idempotency().response_ttl == 24h);
  CHECK(settings.idempotency().lock_ttl == 90s);
}

TEST_CASE("set values are used") {
  config::Spec spec("t", "t");
  redis::RedisSettings settings(spec);
  REQUIRE(spec.load(config::map_env({{"REDIS_URL", "redis://:pw@10.1.2.3:7001/2"},
                                     {"AETHER_REDIS_POOL_SIZE", "4"},
                                     {"AETHER_REDIS_COMMAND_TIMEOUT", "50ms"},
                                     {"AETHER_RATE_LIMITS", "read=5/s"},
                                     {"AETHER_IDEMPOTENCY_LOCK_TTL", "2m"}}))
              .has_value());
  auto pool = settings.pool();
  CHECK(pool.endpoint.host == "10.1.2.3");
  CHECK(pool.endpoint.port == 7001);
  CHECK(pool.endpoint.db == 2);
  CHECK(pool.endpoint.password == "pw");
  CHECK(pool.size == 4);
  CHECK(pool.command_timeout == 50ms);
  CHECK(settings.limiter().rates.size() == 1);
  CHECK(settings.idempotency().lock_ttl == 120s);
  // The password never shows in --check-config.
  for (const auto& entry : spec.effective())
    if (entry.name == "REDIS_URL") CHECK(entry.value.find("pw") == std::string::npos);
}

TEST_CASE("bad values are named by the load error") {
  config::Spec spec("t", "t");
  redis::RedisSettings settings(spec);
  auto loaded = spec.load(config::map_env({{"REDIS_URL", "rediss://host"},
                                           {"AETHER_RATE_LIMITS", "read=fast"},
                                           {"AETHER_REDIS_POOL_SIZE", "0"}}));
  REQUIRE_FALSE(loaded.has_value());
  const auto& message = loaded.error().message;
  INFO(message);
  CHECK(message.find("REDIS_URL") != std::string::npos);
  CHECK(message.find("TLS") != std::string::npos);
  CHECK(message.find("AETHER_RATE_LIMITS") != std::string::npos);
  CHECK(message.find("AETHER_REDIS_POOL_SIZE") != std::string::npos);
}
