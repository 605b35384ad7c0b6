#include "api_service.hpp"

#include <spdlog/spdlog.h>

#include <optional>
#include <thread>

#include "aether/bus/micro.hpp"
#include "aether/schema/schema.hpp"
#include "projector.hpp"
#include "rest_edge.hpp"

namespace aether::api {
namespace {

// What one run owns; destroyed by libs/service after stop(), in reverse order.
// The projector and the edge keep references to the connection and the pool,
// so both are declared first (destroyed last).
struct ApiParts {
  std::optional<bus::Connection> bus;
  std::unique_ptr<pg::Pool> pool;
  std::unique_ptr<VmReadCache> vm_cache;  // the edge's hot reads; the projector invalidates
  std::unique_ptr<Projector> projector;
  std::jthread projector_thread;
  std::unique_ptr<RestEdge> edge;
  std::unique_ptr<bus::Service> discovery;  // NATS micro: `nats micro ls`, aetherctl services
};

constexpr const char* role_name(Role role) {
  switch (role) {
    case Role::kHttp:
      return "http";
    case Role::kProjector:
      return "projector";
    case Role::kAll:
      break;
  }
  return "all";
}

}  // namespace

service::Result<service::Running> start_api(service::Context& ctx, const DataConfig& data,
                                            const HttpOptions& http,
                                            const redis::RedisSettings& redis) {
  auto bus =
      ctx.connect_nats({.url = data.nats_url(), .name = "api", .retry_on_failed_connect = true});
  if (!bus) return std::unexpected(bus.error());
  auto parts = std::make_shared<ApiParts>();
  parts->bus = std::move(*bus);
  bus::Connection& connection = *parts->bus;
  parts->pool = std::make_unique<pg::Pool>(data.pool_options("aether-api"));
  pg::Pool& pool = *parts->pool;
  ctx.add_readiness_check("postgres", [&pool]() -> http::CheckResult {
    auto rows = pool.query("SELECT 1");
    if (!rows) return std::unexpected(rows.error().message);
    return {};
  });
  ctx.add_readiness_check("schema", [url = data.database_url()]() -> http::CheckResult {
    auto check = schema::check_schema_at_least(url, kNeedsSchema);
    if (!check) return std::unexpected(check.error().message);
    if (!check->ok) return std::unexpected(check->message);
    return {};
  });

  if (data.role() != Role::kProjector) {
    parts->vm_cache = std::make_unique<VmReadCache>(data.vm_cache_options());
  }
  if (data.role() != Role::kHttp) {
    ProjectorOptions options = data.projector_options();
    if (VmReadCache* cache = parts->vm_cache.get()) {
      options.on_committed = [cache](const std::vector<std::string>& ids) {
        for (const auto& id : ids) cache->invalidate(id);
      };
    }
    auto projector = Projector::create(connection, pool, ctx.registry(), std::move(options));
    if (!projector) return service::failure("projector: " + projector.error());
    parts->projector = std::move(*projector);
    parts->projector_thread =
        std::jthread([p = parts->projector.get()](std::stop_token stop) { p->run(stop); });
  }
  std::string rest_port = "none";
  if (data.role() != Role::kProjector) {
    auto edge = RestEdge::create(http, redis, data, pool, connection, ctx.registry(),
                                 parts->vm_cache.get());
    if (!edge) return service::config_error(edge.error());
    parts->edge = std::move(*edge);
    parts->edge->add_readiness_checks([&ctx](std::string name, http::ReadinessCheck check) {
      ctx.add_readiness_check(std::move(name), std::move(check));
    });
    auto port = parts->edge->start();
    if (!port) return service::failure("REST server: " + port.error().message);
    spdlog::info("api: REST on port {}", *port);
    rest_port = std::to_string(*port);
  }
  // Listed with the other services (no endpoints: the api's interface is REST).
  auto discovery = bus::Service::start(
      connection, {.name = "api",
                   .version = ctx.info().version,
                   .description = "REST for integrators, and the projection of the bus into "
                                  "PostgreSQL",
                   .metadata = {{"role", role_name(data.role())}, {"rest_port", rest_port}}});
  if (!discovery) return service::failure("NATS micro service: " + discovery.error().message);
  parts->discovery = std::move(*discovery);
  return service::Running{[parts] {
    parts->discovery.reset();              // first: a stopping replica is no longer listed
    if (parts->edge) parts->edge->stop();  // stop accepting, finish in-flight requests
    parts->projector_thread = {};          // requests stop and joins: its batch finishes
    (void)parts->bus->flush(std::chrono::seconds(5));
  }};
}

}  // namespace aether::api
