#include "rest_edge.hpp"

#include <spdlog/spdlog.h>

namespace aether::api {

namespace {

RateDecision to_rate_decision(const redis::Decision& d) {
  RateDecision out;
  out.allowed = d.allowed;
  out.retry_after_seconds = static_cast<int>((d.retry_after.count() + 999) / 1000);
  for (auto& h : redis::rate_limit_headers(d)) out.headers.emplace_back(h.name, h.value);
  return out;
}

}  // namespace

RateCheck redis_rate_check(redis::LeasedRateLimiter& limiter) {
  return [&limiter](std::string_view subject, std::string_view klass) {
    auto d = limiter.check(subject, klass);
    if (d) return to_rate_decision(*d);
    RateDecision out;
    out.allowed = false;
    out.unavailable = true;
    out.message = d.error().message;
    out.retry_after_seconds = static_cast<int>(redis::retry_after(d.error()).count());
    return out;
  };
}

FastRateCheck redis_try_rate_check(redis::LeasedRateLimiter& limiter) {
  return
      [&limiter](std::string_view subject, std::string_view klass) -> std::optional<RateDecision> {
        auto d = limiter.try_check(subject, klass);
        if (!d) return std::nullopt;
        return to_rate_decision(*d);
      };
}

std::expected<std::unique_ptr<RestEdge>, std::string> RestEdge::create(
    const HttpOptions& http, const redis::RedisSettings& redis, const DataConfig& data,
    pg::Pool& pool, bus::Connection& bus, http::Registry& registry, VmReadCache* vm_cache) {
  std::unique_ptr<RestEdge> edge(new RestEdge(pool, bus));
  auto redis_pool = redis::Pool::create(redis.pool());
  if (!redis_pool) return std::unexpected("REDIS_URL: " + redis_pool.error().message);
  edge->redis_pool_ = std::move(*redis_pool);
  auto limiter = redis::RateLimiter::create(*edge->redis_pool_, redis.limiter());
  if (!limiter) return std::unexpected("AETHER_RATE_LIMITS: " + limiter.error().message);
  edge->limiter_ = std::make_unique<redis::RateLimiter>(std::move(*limiter));
  edge->leased_ = std::make_unique<redis::LeasedRateLimiter>(*edge->limiter_, redis.lease());
  auto idem = redis::IdempotencyStore::create(*edge->redis_pool_, redis.idempotency());
  if (!idem) return std::unexpected("AETHER_IDEMPOTENCY_*: " + idem.error().message);
  edge->idempotency_ = std::make_unique<redis::IdempotencyStore>(std::move(*idem));
  edge->vms_ = std::make_unique<VmStore>(pool);
  edge->tenants_ = std::make_unique<TenantStore>(pool);
  edge->keys_ = std::make_unique<ApiKeyStore>(pool);
  edge->nodes_ = std::make_unique<NodeStore>(pool);
  edge->decisions_ = std::make_unique<ScaleDecisionStore>(pool);
  edge->auth_ = std::make_unique<Authenticator>(*edge->keys_, data.auth_options());
  edge->deps_ =
      std::make_unique<RouteDeps>(RouteDeps{.vms = *edge->vms_,
                                            .tenants = *edge->tenants_,
                                            .keys = *edge->keys_,
                                            .nodes = *edge->nodes_,
                                            .decisions = *edge->decisions_,
                                            .auth = *edge->auth_,
                                            .bus = bus,
                                            .rate_check = redis_rate_check(*edge->leased_),
                                            .rate_try_check = redis_try_rate_check(*edge->leased_),
                                            .quotas = data.quota_defaults(),
                                            .openapi_json = openapi_document(),
                                            .max_file_bytes = http.max_file_bytes(),
                                            .vm_cache = vm_cache,
                                            .vm_classes = data.vm_classes()});
  edge->worker_classes_ = std::make_unique<WorkerClassView>();
  if (auto problem = edge->worker_classes_->start(bus)) {
    // Not fatal: the bucket appears once a worker or the autoscaler provisions it.
    spdlog::warn("api: no check of the workers' create classes: {}", *problem);
  } else {
    edge->deps_->worker_classes = edge->worker_classes_.get();
  }
  if (vm_cache != nullptr && vm_cache->enabled()) {
    auto invalidator = VmCacheInvalidator::start(bus, *vm_cache);
    if (!invalidator) return std::unexpected("VM read cache: " + invalidator.error());
    edge->invalidator_ = std::move(*invalidator);
  }
  edge->routes_ = std::make_unique<ApiRoutes>(*edge->deps_, edge->idempotency_.get());
  edge->server_ =
      std::make_unique<rest::Server>(http.server_options(), edge->routes_->router(), registry);
  return edge;
}

void RestEdge::add_readiness_checks(
    const std::function<void(std::string, http::ReadinessCheck)>& add) {
  add("redis", [this]() -> http::CheckResult {
    if (auto r = redis_pool_->ping(); !r) return std::unexpected(r.error().message);
    return {};
  });
}

}  // namespace aether::api
