// RestEdge: the api's role "http" in one object: Redis (pool, rate limiter,
// Idempotency-Key store), the stores and the authenticator over the shared
// PostgreSQL pool, the routes and the rest::Server. main.cpp builds it from
// the config, adds its readiness checks to the admin server, start()s it and,
// on SIGTERM, stop()s it (stop accepting, finish in-flight, return).
// Threads: construct/start/stop on the main thread; the server's own threads
// run the requests.
#pragma once

#include <memory>
#include <string>

#include "aether/http/admin_server.hpp"
#include "aether/redis/settings.hpp"
#include "api_routes.hpp"
#include "data_config.hpp"
#include "http_options.hpp"
#include "vm_cache_invalidator.hpp"

namespace aether::api {

class RestEdge {
 public:
  // Error: a configuration the Redis layer refuses (message names it).
  [[nodiscard]] static std::expected<std::unique_ptr<RestEdge>, std::string> create(
      const HttpOptions& http, const redis::RedisSettings& redis, const DataConfig& data,
      pg::Pool& pool, bus::Connection& bus, http::Registry& registry, VmReadCache* vm_cache);

  // Hands its readiness checks (Redis) to `add` (e.g. service::Context::add_readiness_check).
  void add_readiness_checks(const std::function<void(std::string, http::ReadinessCheck)>& add);
  [[nodiscard]] rest::Result<int> start() { return server_->start(); }
  void stop() { server_->stop(); }

 private:
  RestEdge(pg::Pool& pool, bus::Connection& bus) : pool_(pool), bus_(bus) {}

  pg::Pool& pool_;
  bus::Connection& bus_;
  std::unique_ptr<redis::Pool> redis_pool_;
  std::unique_ptr<redis::RateLimiter> limiter_;
  std::unique_ptr<redis::LeasedRateLimiter> leased_;
  std::unique_ptr<redis::IdempotencyStore> idempotency_;
  std::unique_ptr<VmStore> vms_;
  std::unique_ptr<TenantStore> tenants_;
  std::unique_ptr<ApiKeyStore> keys_;
  std::unique_ptr<NodeStore> nodes_;
  std::unique_ptr<ScaleDecisionStore> decisions_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<RouteDeps> deps_;
  std::unique_ptr<VmCacheInvalidator> invalidator_;  // null: no cache
  std::unique_ptr<WorkerClassView> worker_classes_;
  std::unique_ptr<ApiRoutes> routes_;
  std::unique_ptr<rest::Server> server_;
};

// libs/redis' limiter (tokens leased from Redis in batches) as the routes'
// RateCheck. Fails closed: a limiter that cannot reach Redis answers
// "unavailable" (503 + Retry-After).
[[nodiscard]] RateCheck redis_rate_check(redis::LeasedRateLimiter& limiter);
// The same limiter's local answer only (LeasedRateLimiter::try_check).
[[nodiscard]] FastRateCheck redis_try_rate_check(redis::LeasedRateLimiter& limiter);

}  // namespace aether::api
