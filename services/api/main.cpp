// aether-api: wiring only (config, logging, tracing, PostgreSQL, Redis, NATS,
// the REST server, the admin server, SIGTERM); the logic is in src/.
//   aether-api                          serve (REST on AETHER_HTTP_PORT)
//   aether-api tenant create <id> [--operator]   prints the new key, alone
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "aether/bus/bus.hpp"
#include "aether/config/cli.hpp"
#include "aether/http/admin_options.hpp"
#include "aether/log/log.hpp"
#include "aether/redis/settings.hpp"
#include "aether/trace/exporter.hpp"
#include "api_routes.hpp"
#include "http_options.hpp"

namespace cfg = aether::config;
using namespace aether;

namespace {

int create_tenant(pg::Pool& pool, const std::string& id, bool operator_scope) {
  api::TenantStore tenants(pool);
  api::ApiKeyStore keys(pool);
  if (auto t = tenants.create({.id = id, .display_name = id}); !t) {
    std::cerr << "tenant " << id << ": " << t.error().message << "\n";
    return cfg::kExitFailure;
  }
  api::NewApiKey key{.tenant_id = id, .name = "bootstrap"};
  if (operator_scope) key.scopes.push_back(std::string(api::kScopeOperator));
  auto issued = keys.issue(key);
  if (!issued) {
    std::cerr << "key for " << id << ": " << issued.error().message << "\n";
    return cfg::kExitFailure;
  }
  std::cout << issued->secret << "\n";
  return cfg::kExitOk;
}

api::RateCheck rate_check(const redis::RateLimiter& limiter) {
  return [&limiter](std::string_view subject, std::string_view klass) {
    api::RateDecision out;
    auto d = limiter.check(subject, klass);
    if (!d) {  // fail closed: a limiter we cannot reach is a 503
      out.allowed = false;
      out.unavailable = true;
      out.message = d.error().message;
      out.retry_after_seconds = static_cast<int>(redis::retry_after(d.error()).count());
      return out;
    }
    out.allowed = d->allowed;
    out.retry_after_seconds = static_cast<int>((d->retry_after.count() + 999) / 1000);
    for (auto& h : redis::rate_limit_headers(*d)) out.headers.emplace_back(h.name, h.value);
    return out;
  };
}

}  // namespace

int main(int argc, char** argv) {
  cfg::Spec spec("aether-api", "REST API for running code in microVMs");
  log::LogOptions log_options(spec);
  http::AdminOptions admin_options(spec, 9090);
  api::HttpOptions http_options(spec);
  redis::RedisSettings redis_settings(spec);
  auto& database_url =
      spec.string("DATABASE_URL", "postgresql://aether:aether@127.0.0.1:5432/aether",
                  "PostgreSQL URL")
          .secret()
          .url({"postgres", "postgresql"});
  auto& nats_url = spec.string("NATS_URL", "nats://127.0.0.1:4222", "NATS URL").non_empty();
  auto& pg_pool_size = spec.integer("AETHER_PG_POOL_SIZE", 8,
                                    "PostgreSQL connections per replica (replicas x pool < "
                                    "max_connections)")
                           .range(1, 1000);
  cfg::Cli cli(spec, AETHER_VERSION);
  auto* tenant_cmd = cli.app().add_subcommand("tenant", "manage tenants without a key");
  auto* create_cmd = tenant_cmd->add_subcommand("create", "create a tenant, print its first key");
  std::string tenant_id;
  bool operator_scope = false;
  create_cmd->add_option("id", tenant_id, "tenant id")->required();
  create_cmd->add_flag("--operator", operator_scope, "the key also gets scope operator");
  if (auto exit_code = cli.parse(argc, argv)) return *exit_code;
  log::init(log_options.config());

  pg::Pool pg_pool({.url = database_url.value(),
                    .size = static_cast<int>(pg_pool_size.value()),
                    .application_name = "aether-api"});
  if (create_cmd->parsed()) return create_tenant(pg_pool, tenant_id, operator_scope);
  if (auto t = trace::init_from_env("api"); !t) {
    std::cerr << t.error().message << "\n";
    return cfg::kExitConfig;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto bus = bus::Connection::connect(
      {.url = nats_url.value(), .name = "api", .retry_on_failed_connect = true});
  auto redis_pool = redis::Pool::create(redis_settings.pool());
  if (!bus || !redis_pool) {
    spdlog::error("start-up: {}", !bus ? bus.error().message : redis_pool.error().message);
    return cfg::kExitFailure;
  }
  auto limiter = redis::RateLimiter::create(**redis_pool, redis_settings.limiter());
  auto idempotency = redis::IdempotencyStore::create(**redis_pool, redis_settings.idempotency());
  if (!limiter || !idempotency) {
    spdlog::error("redis: {}", !limiter ? limiter.error().message : idempotency.error().message);
    return cfg::kExitConfig;
  }
  api::VmStore vms(pg_pool);
  api::TenantStore tenants(pg_pool);
  api::ApiKeyStore keys(pg_pool);
  api::NodeStore nodes(pg_pool);
  api::ScaleDecisionStore decisions(pg_pool);
  api::Authenticator auth(keys);
  api::RouteDeps deps{.vms = vms,
                      .tenants = tenants,
                      .keys = keys,
                      .nodes = nodes,
                      .decisions = decisions,
                      .auth = auth,
                      .bus = *bus,
                      .rate_check = rate_check(*limiter),
                      .quotas = {},
                      .openapi_json = api::openapi_document(),
                      .max_file_bytes = http_options.max_file_bytes()};
  api::ApiRoutes routes(deps, &*idempotency);
  auto& registry = http::default_registry();
  rest::Server server(http_options.server_options(), routes.router(), registry);
  http::AdminServer admin(admin_options.options(), registry);
  admin.add_readiness_check("nats", [&]() -> http::CheckResult {
    if (!bus->connected()) return std::unexpected("not connected to " + nats_url.value());
    return {};
  });
  admin.add_readiness_check("postgres", [&]() -> http::CheckResult {
    if (auto r = pg_pool.query("SELECT 1", {}); !r) return std::unexpected(r.error().message);
    return {};
  });
  admin.add_readiness_check("redis", [&]() -> http::CheckResult {
    if (auto r = (*redis_pool)->ping(); !r) return std::unexpected(r.error().message);
    return {};
  });
  auto admin_port = admin.start();
  auto port = server.start();
  if (!admin_port || !port) {
    spdlog::error("listen: {}", !port ? port.error().message : admin_port.error().message);
    return cfg::kExitFailure;
  }
  spdlog::info("api: REST on port {}, admin on port {}", *port, *admin_port);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("api: signal {}: draining", sig);
  server.stop();  // stop accepting, finish in-flight requests
  admin.stop();
  (void)bus->flush(std::chrono::seconds(5));
  trace::shutdown(std::chrono::seconds(5));
  return cfg::kExitOk;
}
