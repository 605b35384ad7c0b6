// aether-bench-redis: rate-limit checks (one EVALSHA of the token-bucket
// script) and Idempotency-Key claims per second, beside a plain PING round
// trip through the same pool on the same redis-server, in the same run.
// Rounds alternate between the operations so load from other processes on the
// machine hits each alike; the best round of each is reported with its ratio
// to PING.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "aether/devstack/redis.hpp"
#include "aether/redis/idempotency.hpp"
#include "aether/redis/pool.hpp"
#include "aether/redis/rate_limiter.hpp"

using namespace aether;
using Clock = std::chrono::steady_clock;

namespace {

struct Round {
  double per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::uint64_t errors = 0;
};

// Runs `op(thread, i)` on `threads` threads for `duration`; per-op latencies sampled.
Round run_round(int threads, std::chrono::milliseconds duration,
                const std::function<bool(int, std::uint64_t)>& op) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> done{0}, errors{0};
  std::vector<std::vector<double>> latencies(threads);
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      std::uint64_t i = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const auto t0 = Clock::now();
        if (!op(t, i++)) errors.fetch_add(1, std::memory_order_relaxed);
        latencies[t].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      done.fetch_add(i);
    });
  std::this_thread::sleep_for(duration);
  stop = true;
  for (auto& w : workers) w.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Round r;
  r.per_second = static_cast<double>(done.load()) / seconds;
  r.errors = errors.load();
  if (!all.empty()) {
    r.p50_us = all[all.size() / 2];
    r.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return r;
}

void print(const char* name, const Round& r, const Round& baseline) {
  std::printf("  %-34s %9.0f ops/s  p50 %6.1f us  p99 %7.1f us  errors %llu  ratio %.2f\n", name,
              r.per_second, r.p50_us, r.p99_us, static_cast<unsigned long long>(r.errors),
              r.per_second / baseline.per_second);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("aether-bench-redis: libs/redis rate-limit checks and idempotency claims vs PING");
  int rounds = 3;
  int duration_ms = 1000;
  std::vector<int> thread_counts{1, 2, 4};
  app.add_option("--rounds", rounds, "rounds per operation (best one is reported)")
      ->check(CLI::Range(1, 100));
  app.add_option("--round-ms", duration_ms, "length of one round in ms")
      ->check(CLI::Range(100, 60000));
  app.add_option("--threads", thread_counts, "client thread counts to run")
      ->check(CLI::Range(1, 64));
  app.set_version_flag("--version", std::string("aether-bench-redis ") + AETHER_VERSION);
  CLI11_PARSE(app, argc, argv);

  auto server = devstack::Redis::start();
  if (!server) {
    std::fprintf(stderr, "redis-server: %s\n", server.error().message.c_str());
    return 1;
  }
  auto endpoint = redis::parse_redis_url(server->url());
  redis::PoolOptions options;
  options.endpoint = *endpoint;
  options.size = 16;
  options.acquire_timeout = std::chrono::seconds(5);
  auto pool = redis::Pool::create(options);
  auto rates = redis::parse_rates("read=1000000/s:1000000");
  auto limiter = redis::RateLimiter::create(**pool, {.rates = *rates});
  auto store = redis::IdempotencyStore::create(**pool);
  if (!pool || !limiter || !store) {
    std::fprintf(stderr, "set-up failed\n");
    return 1;
  }
  const std::string fingerprint = redis::request_fingerprint("POST", "/v1/vms", "{\"vcpus\":1}");
  const redis::StoredResponse response{
      202, {{"Content-Type", "application/json"}}, std::string(300, 'x')};

  std::printf(
      "aether-bench-redis: redis-server 127.0.0.1:%d, pool of %zu, best of %d rounds of %d ms\n",
      server->port(), options.size, rounds, duration_ms);
  const auto duration = std::chrono::milliseconds(duration_ms);
  for (int threads : thread_counts) {
    std::function<bool(int, std::uint64_t)> ping = [&](int, std::uint64_t) {
      return (*pool)->ping().has_value();
    };
    std::function<bool(int, std::uint64_t)> check = [&](int t, std::uint64_t i) {
      // 1000 subjects per thread, as many api keys would be.
      const std::string subject = "key-" + std::to_string(t) + "-" + std::to_string(i % 1000);
      auto d = limiter->check(subject, "read");
      return d.has_value() && d->allowed;
    };
    std::function<bool(int, std::uint64_t)> claim = [&](int t, std::uint64_t i) {
      // A new key each time: begin() + complete(), what a first POST costs.
      const std::string key =
          "bench-" + std::to_string(threads) + "-" + std::to_string(t) + "-" + std::to_string(i);
      auto c = store->begin("tenant", key, fingerprint);
      if (!c || c->state != redis::ClaimState::kClaimed) return false;
      auto stored = store->complete(*c, response);
      return stored.has_value() && *stored;
    };
    Round best_ping, best_check, best_claim;
    for (int r = 0; r < rounds; ++r) {
      auto p = run_round(threads, duration, ping);
      auto c = run_round(threads, duration, check);
      auto k = run_round(threads, duration, claim);
      if (p.per_second > best_ping.per_second) best_ping = p;
      if (c.per_second > best_check.per_second) best_check = c;
      if (k.per_second > best_claim.per_second) best_claim = k;
      (void)(*pool)->command({"FLUSHALL"});
    }
    std::printf("threads=%d\n", threads);
    print("PING (baseline)", best_ping, best_ping);
    print("rate-limit check (EVALSHA)", best_check, best_ping);
    print("idempotency begin+complete (2 RTT)", best_claim, best_ping);
    // Machine-readable lines for `make bench` (tools/bench-report/README.md).
    std::printf(
        "BENCH figure=redis.rate_check_t%d value=%.0f unit=ops/s baseline=%.0f "
        "baseline_of=ping better=higher\n",
        threads, best_check.per_second, best_ping.per_second);
    std::printf(
        "BENCH figure=redis.idempotency_claim_t%d value=%.0f unit=ops/s baseline=%.0f "
        "baseline_of=ping better=higher\n",
        threads, best_claim.per_second, best_ping.per_second);
  }
  std::printf("stats: connects %llu, dropped %llu, script fallbacks %llu\n",
              static_cast<unsigned long long>((*pool)->stats().connects),
              static_cast<unsigned long long>((*pool)->stats().dropped),
              static_cast<unsigned long long>(limiter->script().fallbacks()));
  return 0;
}
