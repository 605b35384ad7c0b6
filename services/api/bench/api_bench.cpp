// Benchmark: the REST edge under wrk (Debian's `wrk`), in one run, with real
// PostgreSQL, Redis and nats-server from libs/devstack:
//   - GET /noop: a route that does nothing (no auth, no limit): the ceiling of
//     the HTTP stack itself (Beast, handler pool, headers, metrics, span);
//   - GET /v1/vms/{id} as the api serves it: authenticated (cached key),
//     rate-limited (tokens leased from Redis in batches), tenant-scoped, from
//     the read cache (VmReadCache, kept coherent by VmCacheInvalidator),
//     answered on the io thread when all of that is in memory;
//   - the same read always handed to the handler pool (how it was before the
//     io-thread answers): what they pay;
//   - the same read on three more servers: without the cache (a PostgreSQL
//     read each), with a Redis EVALSHA each, and with neither (how the api
//     answered before): what the cache and the lease each pay;
//   - POST /v1/vms: quota check and PENDING row in one PostgreSQL transaction,
//     then CreateVm stored by JetStream;
//   - raw JetStream publishes of the same CreateVm from as many threads as
//     wrk has connections: the bus's own ceiling for the POST.
// Prints requests/s, p50 and p99 of each and the ratios.
//
//   aether-bench-api [--seconds 5] [--connections 16] [--threads 2]
//                    [--io-threads 2] [--handler-threads 16]   (the api's server)
#include <google/protobuf/util/time_util.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <expected>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "aether/bus/bus.hpp"
#include "aether/devstack/redis.hpp"
#include "aether/devstack/state_dir.hpp"
#include "aether/redis/idempotency.hpp"
#include "aether/redis/leased_rate_limiter.hpp"
#include "aether/redis/pool.hpp"
#include "aether/redis/rate_limiter.hpp"
#include "aether/redis/url.hpp"
#include "aether/rest/server.hpp"
#include "aether/v1/vm.pb.h"
#include "api_routes.hpp"
#include "bench_stack.hpp"
#include "ids.hpp"
#include "rest_edge.hpp"
#include "vm_cache_invalidator.hpp"

using namespace aether;
using Clock = std::chrono::steady_clock;

namespace {

int die(const std::string& what) {
  std::fprintf(stderr, "aether-bench-api: %s\n", what.c_str());
  return 1;
}

struct WrkResult {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  long non_2xx = 0;
  bool ok = false;
};

double to_ms(double v, const std::string& unit) {
  if (unit == "us") return v / 1000;
  if (unit == "s") return v * 1000;
  return v;  // ms
}

WrkResult run_wrk(const std::string& url, const std::string& script, int seconds, int conns,
                  int threads) {
  const std::string cmd = "wrk --latency -t" + std::to_string(threads) + " -c" +
                          std::to_string(conns) + " -d" + std::to_string(seconds) + "s -s " +
                          script + " " + url + " 2>&1";
  WrkResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  r.ok = ::pclose(p) == 0;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    r.rps = std::stod(m[1]);
  } else {
    r.ok = false;
    std::fprintf(stderr, "%s\n", out.c_str());
  }
  if (std::regex_search(out, m, std::regex(R"(\s50%\s+([0-9.]+)(us|ms|s))"))) {
    r.p50_ms = to_ms(std::stod(m[1]), m[2]);
  }
  if (std::regex_search(out, m, std::regex(R"(\s99%\s+([0-9.]+)(us|ms|s))"))) {
    r.p99_ms = to_ms(std::stod(m[1]), m[2]);
  }
  if (std::regex_search(out, m, std::regex(R"(Non-2xx or 3xx responses:\s+([0-9]+))"))) {
    r.non_2xx = std::stol(m[1]);
  }
  return r;
}

// `threads` threads publishing CreateVm with JetStream for `seconds`.
double raw_js_publishes(bus::Connection& bus, int threads, int seconds) {
  std::atomic<long> done{0};
  const auto until = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::jthread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (Clock::now() < until) {
        v1::CreateVm c;
        c.set_vm_id(api::new_uuid_v7());
        c.set_tenant("bench");
        c.set_request_id(c.vm_id());
        c.mutable_spec()->set_vcpus(1);
        c.mutable_spec()->set_memory_mib(256);
        *c.mutable_requested_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
        auto ack = bus.js_publish(bus::vm_create_subject(1, 256), c,
                                  {.tenant = "bench", .msg_id = c.vm_id()});
        if (ack) ++done;
      }
    });
  }
  pool.clear();
  return static_cast<double>(done.load()) / seconds;
}

void print(const char* what, const WrkResult& r, const WrkResult& base) {
  std::printf("%-44s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  %5.2fx noop%s\n", what, r.rps,
              r.p50_ms, r.p99_ms, base.rps > 0 ? r.rps / base.rps : 0,
              r.non_2xx > 0 ? ("  (" + std::to_string(r.non_2xx) + " non-2xx!)").c_str() : "");
}

// One REST server over `deps` (the bench's variants differ only in them).
struct Edge {
  api::RouteDeps deps;
  std::unique_ptr<api::ApiRoutes> routes;
  http::Registry registry;
  std::unique_ptr<rest::Server> server;
  std::string url;

  // GET /v1/vms/{id} requests this server answered on an io thread so far.
  double io_answers() {
    return registry
        .counter_family(
            "aether_api_http_io_answers_total",
            "HTTP requests answered on the io thread without the handler pool, by route",
            {"method", "route"})
        .labels({"GET", "/v1/vms/{id}"})
        .value();
  }

  static inline int io_threads = 2, handler_threads = 16;
  static std::expected<std::unique_ptr<Edge>, std::string> start(const api::RouteDeps& deps,
                                                                 bool with_noop) {
    auto e = std::unique_ptr<Edge>(new Edge{deps, nullptr, {}, nullptr, {}});
    e->routes = std::make_unique<api::ApiRoutes>(e->deps, nullptr);
    rest::Router router = e->routes->router();
    if (with_noop) {
      router.add("GET", "/noop",
                 [](rest::Request&) { return rest::Response::text(200, "ok", "text/plain"); });
    }
    e->server =
        std::make_unique<rest::Server>(rest::ServerOptions{.host = "127.0.0.1",
                                                           .port = 0,
                                                           .io_threads = io_threads,
                                                           .handler_threads = handler_threads},
                                       std::move(router), e->registry);
    auto port = e->server->start();
    if (!port) return std::unexpected(port.error().message);
    e->url = "http://127.0.0.1:" + std::to_string(*port);
    return e;
  }
};

}  // namespace

int main(int argc, char** argv) {
  int seconds = 5, conns = 16, threads = 2;
  int io_threads = 2, handler_threads = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (v < 1)
      return die(
          "usage: aether-bench-api [--seconds N] [--connections N] [--threads N] "
          "[--io-threads N] [--handler-threads N]");
    if (a == "--seconds")
      seconds = v;
    else if (a == "--connections")
      conns = v;
    else if (a == "--threads")
      threads = v;
    else if (a == "--io-threads")
      io_threads = v;
    else if (a == "--handler-threads")
      handler_threads = v;
    else
      return die("unknown option " + a);
  }
  if (std::system("command -v wrk >/dev/null 2>&1") != 0) {
    return die("wrk is not installed (tools/deps/install.sh installs it)");
  }

  Edge::io_threads = io_threads;
  Edge::handler_threads = handler_threads;
  auto stack = api::bench::BenchStack::start("bench-api");
  if (!stack) return die(stack.error());
  bus::Connection& bus = *stack->bus;
  auto redis_server = devstack::Redis::start({});
  if (!redis_server) return die("redis: " + redis_server.error().message);

  pg::Pool pool({.url = stack->postgres.url(), .size = 8});
  api::VmStore vms(pool);
  api::TenantStore tenants(pool);
  api::ApiKeyStore keys(pool);
  api::NodeStore nodes(pool);
  api::ScaleDecisionStore decisions(pool);
  api::Authenticator auth(keys, {});
  auto endpoint = redis::parse_redis_url(redis_server->url());
  if (!endpoint) return die(endpoint.error().message);
  auto redis_pool = redis::Pool::create({.endpoint = *endpoint, .size = 16});
  if (!redis_pool) return die(redis_pool.error().message);
  auto rates = redis::parse_rates("read=1000000/s,write=1000000/s,exec=1000/s,events=10/s");
  auto limiter = redis::RateLimiter::create(**redis_pool, {.rates = *rates});
  if (!limiter) return die(limiter.error().message);
  // As the api runs it (tokens leased in batches), and one EVALSHA per request.
  redis::LeasedRateLimiter leased(*limiter);
  redis::LeasedRateLimiter per_request(*limiter, {.lease_ttl = std::chrono::milliseconds(0)});
  api::VmReadCache cache;  // the api's defaults (1 s TTL), kept coherent as in the api
  auto invalidator = api::VmCacheInvalidator::start(bus, cache);
  if (!invalidator) return die(invalidator.error());

  if (auto t = tenants.create({.id = "bench",
                               .display_name = "bench",
                               .quotas = {.max_vms = 100'000'000,
                                          .max_vcpus = 100'000'000,
                                          .max_memory_mib = 100'000'000'000}});
      !t) {
    return die(t.error().message);
  }
  auto key = keys.issue({.tenant_id = "bench", .name = "bench"});
  if (!key) return die(key.error().message);
  auto vm = vms.create_pending({.id = api::new_uuid_v7(),
                                .tenant_id = "bench",
                                .spec_json = R"({"vcpus":1,"memoryMib":256})",
                                .vcpus = 1,
                                .memory_mib = 256});
  if (!vm) return die(vm.error().message);

  const api::RouteDeps base_deps{.vms = vms,
                                 .tenants = tenants,
                                 .keys = keys,
                                 .nodes = nodes,
                                 .decisions = decisions,
                                 .auth = auth,
                                 .bus = bus,
                                 .rate_check = api::redis_rate_check(leased),
                                 .rate_try_check = api::redis_try_rate_check(leased),
                                 .quotas = {},
                                 .openapi_json = "{}",
                                 .vm_cache = &cache};
  // The api as it runs (leased rate limit, read cache), plus a no-op route.
  auto full = Edge::start(base_deps, true);
  if (!full) return die(full.error());
  // The same routes without the read cache, with a Redis call per request,
  // and both (how the api answered before): what each part pays.
  api::RouteDeps on_pool = base_deps;
  on_pool.rate_try_check = nullptr;  // no io-thread answers
  api::RouteDeps no_cache = on_pool;
  no_cache.vm_cache = nullptr;
  api::RouteDeps redis_each = on_pool;
  redis_each.rate_check = api::redis_rate_check(per_request);
  api::RouteDeps before = no_cache;
  before.rate_check = redis_each.rate_check;
  auto e_on_pool = Edge::start(on_pool, false);
  auto e_no_cache = Edge::start(no_cache, false);
  auto e_redis_each = Edge::start(redis_each, false);
  auto e_before = Edge::start(before, false);
  if (!e_on_pool || !e_no_cache || !e_redis_each || !e_before) return die("a server did not start");
  const std::string base = (*full)->url;

  auto dir = devstack::StateDir::open("", "aether-bench-api");
  if (!dir) return die(dir.error().message);
  auto script = [&](const std::string& name, const std::string& body) {
    const auto file = dir->path() / name;
    std::ofstream(file) << body;
    return file.string();
  };
  const std::string auth_header =
      "wrk.headers[\"Authorization\"] = \"Bearer " + key->secret + "\"\n";
  const auto get_lua = script("get.lua", auth_header);
  const auto noop_lua = script("noop.lua", "");
  const auto post_lua =
      script("post.lua", auth_header +
                             "wrk.method = \"POST\"\n"
                             "wrk.body = '{\"vcpus\":1,\"memoryMib\":256}'\n"
                             "wrk.headers[\"Content-Type\"] = \"application/json\"\n");

  std::printf("aether-bench-api: %d s per run, wrk -t%d -c%d, api io %d + handlers %d, %u cores\n",
              seconds, threads, conns, io_threads, handler_threads,
              std::thread::hardware_concurrency());
  const std::string path = "/v1/vms/" + vm->id;
  // Warm-up (key cache, pools, script cache), then the runs.
  (void)run_wrk(base + path, get_lua, 1, conns, threads);
  const auto noop = run_wrk(base + "/noop", noop_lua, seconds, conns, threads);
  const auto calls0 = leased.remote_calls();
  const auto cache0 = cache.stats();
  const double io0 = (*full)->io_answers();
  const auto get = run_wrk(base + path, get_lua, seconds, conns, threads);
  const auto calls1 = leased.remote_calls();
  const auto cache1 = cache.stats();
  const double io_answered = (*full)->io_answers() - io0;
  const auto get_on_pool = run_wrk((*e_on_pool)->url + path, get_lua, seconds, conns, threads);
  const auto get_no_cache = run_wrk((*e_no_cache)->url + path, get_lua, seconds, conns, threads);
  const auto get_redis_each =
      run_wrk((*e_redis_each)->url + path, get_lua, seconds, conns, threads);
  const auto get_before = run_wrk((*e_before)->url + path, get_lua, seconds, conns, threads);
  const auto post = run_wrk(base + "/v1/vms", post_lua, seconds, conns, threads);
  const double raw = raw_js_publishes(bus, conns, seconds);
  if (!noop.ok || !get.ok || !get_on_pool.ok || !get_no_cache.ok || !get_redis_each.ok ||
      !get_before.ok || !post.ok)
    return die("a wrk run failed");

  print("GET /noop (the HTTP stack's ceiling)", noop, noop);
  print("GET /v1/vms/{id} (auth, leased limit, cache)", get, noop);
  print("  the same on the handler pool (no io answer)", get_on_pool, noop);
  print("  the same without the read cache (PG read)", get_no_cache, noop);
  print("  the same, a Redis call per request", get_redis_each, noop);
  print("  neither (PG read + Redis per request)", get_before, noop);
  const auto hits = cache1.hits - cache0.hits, misses = cache1.misses - cache0.misses;
  std::printf(
      "  hot read: cache hits %.1f%%, Redis calls per request %.4f\n",
      hits + misses > 0 ? 100.0 * static_cast<double>(hits) / static_cast<double>(hits + misses)
                        : 0.0,
      hits + misses > 0 ? static_cast<double>(calls1 - calls0) / static_cast<double>(hits + misses)
                        : 0.0);
  std::printf("  hot read: answered on the io thread %.1f%%\n",
              get.rps > 0 ? 100.0 * io_answered / (get.rps * seconds) : 0.0);
  std::printf(
      "  the io-thread answer pays %.2fx; on the pool, the cache pays %.2fx, the leased limit "
      "%.2fx, both %.2fx\n",
      get_on_pool.rps > 0 ? get.rps / get_on_pool.rps : 0,
      get_no_cache.rps > 0 ? get_on_pool.rps / get_no_cache.rps : 0,
      get_redis_each.rps > 0 ? get_on_pool.rps / get_redis_each.rps : 0,
      get_before.rps > 0 ? get_on_pool.rps / get_before.rps : 0);
  print("POST /v1/vms (quota+row in PG, JetStream)", post, noop);
  std::printf("%-44s %9.0f pub/s  (POST / raw publish: %.2f)\n",
              "raw JetStream publish of CreateVm", raw, raw > 0 ? post.rps / raw : 0);
  // For make bench (tools/bench-report): each figure beside its baseline of this run.
  std::printf(
      "BENCH figure=api.hot_read_rate value=%.0f unit=req/s baseline=%.0f "
      "baseline_of=get_noop better=higher\n",
      get.rps, noop.rps);
  std::printf(
      "BENCH figure=api.hot_read_p99 value=%.3f unit=ms baseline=%.3f "
      "baseline_of=get_noop better=lower\n",
      get.p99_ms, noop.p99_ms);
  std::printf(
      "BENCH figure=api.hot_read_pg_redis_rate value=%.0f unit=req/s baseline=%.0f "
      "baseline_of=get_noop better=higher\n",
      get_before.rps, noop.rps);
  std::printf(
      "BENCH figure=api.create_rate value=%.0f unit=req/s baseline=%.0f "
      "baseline_of=raw_jetstream_publish better=higher\n",
      post.rps, raw);
  return get.non_2xx == 0 && post.non_2xx == 0 ? 0 : die("some answers were not 2xx");
}
