// The api's REST edge in-process against real PostgreSQL (fresh database with
// the real schema), Redis and nats-server (JetStream provisioned as the bus
// contract says), for the route tests.
#pragma once

#include "aether/bus/bus.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/devstack/redis.hpp"
#include "aether/redis/idempotency.hpp"
#include "aether/redis/leased_rate_limiter.hpp"
#include "aether/redis/pool.hpp"
#include "aether/redis/rate_limiter.hpp"
#include "aether/redis/url.hpp"
#include "aether/rest/server.hpp"
#include "api_routes.hpp"
#include "fixture.hpp"
#include "http_client.hpp"
#include "http_options.hpp"
#include "rest_edge.hpp"

namespace aether::api::testing {

struct StackOptions {
  std::string rates = "read=1000/s:1000,write=1000/s:1000,exec=1000/s:1000,events=100/s:100";
  // GET /v1/vms/{id} from a VmReadCache kept coherent by a VmCacheInvalidator
  // (0: off, PostgreSQL on every read, which tests that write rows directly need).
  std::chrono::milliseconds vm_cache_ttl{0};
  // How long leased rate-limit tokens stay spendable (libs/redis LeaseOptions).
  std::chrono::milliseconds lease_ttl{100};
  std::chrono::milliseconds auth_cache_ttl{200};
};

class ApiStack {
 public:
  explicit ApiStack(StackOptions options = {}) {
    auto nats_started = devstack::NatsServer::start({});
    REQUIRE(nats_started);
    nats = std::make_unique<devstack::NatsServer>(std::move(*nats_started));
    auto redis_started = devstack::Redis::start({});
    REQUIRE(redis_started);
    redis_server = std::make_unique<devstack::Redis>(std::move(*redis_started));

    pg_pool = pool_for(fresh_database(), 8);
    vms = std::make_unique<VmStore>(*pg_pool);
    tenants = std::make_unique<TenantStore>(*pg_pool);
    keys = std::make_unique<ApiKeyStore>(*pg_pool);
    nodes = std::make_unique<NodeStore>(*pg_pool);
    decisions = std::make_unique<ScaleDecisionStore>(*pg_pool);
    auth = std::make_unique<Authenticator>(*keys, AuthOptions{.cache_ttl = options.auth_cache_ttl});

    auto connected = bus::Connection::connect({.url = nats->url(), .name = "api-itest"});
    REQUIRE(connected);
    bus = std::make_unique<bus::Connection>(*connected);
    REQUIRE(bus::provision(*bus));

    auto endpoint = redis::parse_redis_url(redis_server->url());
    REQUIRE(endpoint);
    auto pool = redis::Pool::create({.endpoint = *endpoint, .size = 4});
    REQUIRE(pool);
    redis_pool = std::move(*pool);
    auto rates = redis::parse_rates(options.rates);
    REQUIRE(rates);
    auto limiter_made = redis::RateLimiter::create(*redis_pool, {.rates = *rates});
    REQUIRE(limiter_made);
    limiter = std::make_unique<redis::RateLimiter>(std::move(*limiter_made));
    leased = std::make_unique<redis::LeasedRateLimiter>(
        *limiter, redis::LeaseOptions{.lease_ttl = options.lease_ttl});
    auto idem_made = redis::IdempotencyStore::create(*redis_pool);
    REQUIRE(idem_made);
    idempotency = std::make_unique<redis::IdempotencyStore>(std::move(*idem_made));

    deps = std::make_unique<RouteDeps>(RouteDeps{.vms = *vms,
                                                 .tenants = *tenants,
                                                 .keys = *keys,
                                                 .nodes = *nodes,
                                                 .decisions = *decisions,
                                                 .auth = *auth,
                                                 .bus = *bus,
                                                 .rate_check = redis_rate_check(*leased),
                                                 .rate_try_check = redis_try_rate_check(*leased),
                                                 .quotas = {},
                                                 .openapi_json = openapi_document(),
                                                 .bus_timeout = std::chrono::milliseconds(3000)});
    if (options.vm_cache_ttl.count() > 0) {
      vm_cache = std::make_unique<VmReadCache>(
          VmReadCacheOptions{.ttl = options.vm_cache_ttl, .hold = options.vm_cache_ttl});
      auto started = VmCacheInvalidator::start(*bus, *vm_cache);
      REQUIRE(started);
      invalidator = std::move(*started);
      deps->vm_cache = vm_cache.get();
    }
    routes = std::make_unique<ApiRoutes>(*deps, idempotency.get());
    server = std::make_unique<rest::Server>(
        rest::ServerOptions{.host = "127.0.0.1", .port = 0, .io_threads = 2, .handler_threads = 8},
        routes->router(), registry);
    auto port = server->start();
    REQUIRE(port);
    client = std::make_unique<Client>(*port);
  }

  // Requests of `route` answered on an io thread (libs/rest RouteOptions::fast).
  double io_answers(const std::string& route = "/v1/vms/{id}") {
    return registry
        .counter_family(
            "aether_api_http_io_answers_total",
            "HTTP requests answered on the io thread without the handler pool, by route",
            {"method", "route"})
        .labels({"GET", route})
        .value();
  }

  // A tenant with a key; returns the key.
  std::string tenant_with_key(const std::string& id, bool operator_scope = false,
                              TenantQuotas quotas = {}) {
    auto t = tenants->create({.id = id, .display_name = id, .quotas = quotas});
    REQUIRE(t);
    NewApiKey key{.tenant_id = id, .name = "test"};
    if (operator_scope) key.scopes.push_back(std::string(kScopeOperator));
    auto issued = keys->issue(key);
    REQUIRE(issued);
    return issued->secret;
  }

  std::unique_ptr<devstack::NatsServer> nats;
  std::unique_ptr<devstack::Redis> redis_server;
  std::unique_ptr<pg::Pool> pg_pool;
  std::unique_ptr<VmStore> vms;
  std::unique_ptr<TenantStore> tenants;
  std::unique_ptr<ApiKeyStore> keys;
  std::unique_ptr<NodeStore> nodes;
  std::unique_ptr<ScaleDecisionStore> decisions;
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<bus::Connection> bus;
  std::unique_ptr<redis::Pool> redis_pool;
  std::unique_ptr<redis::RateLimiter> limiter;
  std::unique_ptr<redis::LeasedRateLimiter> leased;
  std::unique_ptr<redis::IdempotencyStore> idempotency;
  std::unique_ptr<RouteDeps> deps;
  std::unique_ptr<VmReadCache> vm_cache;
  std::unique_ptr<VmCacheInvalidator> invalidator;
  std::unique_ptr<ApiRoutes> routes;
  http::Registry registry;
  std::unique_ptr<rest::Server> server;
  std::unique_ptr<Client> client;
};

}  // namespace aether::api::testing
