// aether-api: wiring only. `tenant create` (bootstrap, PostgreSQL only), and
// the roles of AETHER_API_ROLE: the REST edge (RestEdge) and the projector.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

#include "aether/bus/connection.hpp"
#include "aether/config/cli.hpp"
#include "aether/http/admin_options.hpp"
#include "aether/http/admin_server.hpp"
#include "aether/log/log.hpp"
#include "aether/schema/schema.hpp"
#include "aether/trace/exporter.hpp"
#include "data_config.hpp"
#include "projector.hpp"
#include "rest_edge.hpp"
#include "tenant_command.hpp"

namespace cfg = aether::config;
using namespace aether;

int main(int argc, char** argv) {
  cfg::Spec spec("aether-api",
                 "REST for integrators, and the projection of the bus into PostgreSQL");
  log::LogOptions log_options(spec);
  http::AdminOptions admin_options(spec, 9090);
  api::DataConfig data(spec);
  api::HttpOptions http_options(spec);
  redis::RedisSettings redis_settings(spec);
  cfg::Cli cli(spec, AETHER_VERSION);
  api::TenantCreateArgs tenant_args;
  auto* tenant_create = api::add_tenant_command(cli.app(), tenant_args);
  if (auto exit_code = cli.parse(argc, argv)) return *exit_code;
  log::init(log_options.config());  // stderr: stdout stays the key's alone

  if (tenant_create->parsed()) {
    pg::Pool pool(data.pool_options("aether-api tenant"));
    return api::run_tenant_create(tenant_args, pool, std::cout, std::cerr);
  }
  if (auto t = trace::init_from_env("api"); !t) {
    std::cerr << t.error().message << "\n";
    return cfg::kExitConfig;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto& registry = http::default_registry();
  http::register_process_metrics(registry, "api", AETHER_VERSION);
  pg::Pool pool(data.pool_options("aether-api"));
  auto bus = bus::Connection::connect(
      {.url = data.nats_url(), .name = "api", .retry_on_failed_connect = true});
  if (!bus) {
    spdlog::error("NATS {}: {}", data.nats_url(), bus.error().message);
    return cfg::kExitFailure;
  }
  http::AdminServer admin(admin_options.options(), registry);
  admin.add_readiness_check("nats", [&]() -> http::CheckResult {
    if (!bus->connected()) return std::unexpected("not connected to " + data.nats_url());
    return {};
  });
  admin.add_readiness_check("postgres", [&]() -> http::CheckResult {
    auto rows = pool.query("SELECT 1");
    if (!rows) return std::unexpected(rows.error().message);
    return {};
  });
  admin.add_readiness_check("schema", [url = data.database_url()]() -> http::CheckResult {
    auto check = schema::check_schema_at_least(url, api::kNeedsSchema);
    if (!check) return std::unexpected(check.error().message);
    if (!check->ok) return std::unexpected(check->message);
    return {};
  });

  std::unique_ptr<api::Projector> projector;
  std::jthread projector_thread;
  if (data.role() != api::Role::kHttp) {
    auto p = api::Projector::create(*bus, pool, registry, data.projector_options());
    if (!p) {
      spdlog::error("projector: {}", p.error());
      return cfg::kExitFailure;
    }
    projector = std::move(*p);
    projector_thread = std::jthread([&](std::stop_token stop) { projector->run(stop); });
  }
  std::unique_ptr<api::RestEdge> edge;
  if (data.role() != api::Role::kProjector) {
    auto made = api::RestEdge::create(http_options, redis_settings, data, pool, *bus, registry);
    if (!made) {
      std::cerr << made.error() << "\n";
      return cfg::kExitConfig;
    }
    edge = std::move(*made);
    edge->add_readiness_checks(admin);
    auto rest_port = edge->start();
    if (!rest_port) {
      spdlog::error("REST server: {}", rest_port.error().message);
      return cfg::kExitFailure;
    }
    spdlog::info("api: REST on port {}", *rest_port);
  }
  auto port = admin.start();
  if (!port) {
    spdlog::error("admin server: {}", port.error().message);
    return cfg::kExitFailure;
  }
  spdlog::info("api: admin on port {}", *port);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("api: signal {}: stopping", sig);
  if (edge) edge->stop();  // stop accepting, finish in-flight requests
  projector_thread = {};   // requests stop and joins: the batch in flight finishes
  admin.stop();
  (void)bus->flush(std::chrono::seconds(5));
  trace::shutdown(std::chrono::seconds(5));
  return cfg::kExitOk;
}
