// Leased tokens against a real redis-server: RateLimiter::lease takes what
// is there; LeasedRateLimiter keeps a per-key limit shared by replicas while
// calling Redis once per lease, not per request; leases expire; denials keep
// their Retry-After and pass again once tokens are back.
#include <catch2/catch.hpp>

#include "aether/redis/leased_rate_limiter.hpp"
#include "itest_support.hpp"

using namespace aether::redis;
using namespace aether::redis::testing;
using namespace std::chrono_literals;

namespace {

bool allowed(LeasedRateLimiter& limiter, const char* subject, const char* route_class) {
  auto d = limiter.check(subject, route_class);
  INFO((d ? std::string() : d.error().message));
  REQUIRE(d.has_value());
  return d->allowed;
}

// A steady clock the test moves forward.
struct TestClock {
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
  std::function<std::chrono::steady_clock::time_point()> fn() {
    return [this] { return t; };
  }
};

}  // namespace

TEST_CASE("lease takes every whole token left when fewer than asked, none when empty") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "read=1/m:5");
  auto first = limiter.lease("k", "read", 8);
  REQUIRE(first.has_value());
  CHECK(first->allowed);
  CHECK(first->granted == 5);
  CHECK(first->remaining == 0);
  auto empty = limiter.lease("k", "read", 8);
  REQUIRE(empty.has_value());
  CHECK_FALSE(empty->allowed);
  CHECK(empty->granted == 0);
  CHECK(empty->retry_after > 50s);  // one token per minute
  // check() keeps its all-or-nothing meaning.
  auto all = limiter.check("other", "read", 6);
  REQUIRE(all.has_value());
  CHECK_FALSE(all->allowed);
  CHECK(all->retry_after == 0ms);  // above the burst: never
}

TEST_CASE("lease sizes follow the rate, the burst and the lease time") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "read=1/s");
  LeasedRateLimiter leased(limiter);  // 100 ms leases, at most 64
  CHECK(leased.lease_size({100, 200}) == 10);
  CHECK(leased.lease_size({1'000'000, 1'000'000}) == 64);
  CHECK(leased.lease_size({1000, 8}) == 2);  // a quarter of the burst
  CHECK(leased.lease_size({5, 2}) == 1);     // exact, as without leases
  LeasedRateLimiter none(limiter, {.lease_ttl = 0ms});
  CHECK(none.lease_size({1'000'000, 1'000'000}) == 1);
}

TEST_CASE("two replicas leasing from one bucket admit what the bucket gives, with few calls") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  // 40 tokens, one more per second; 60 s leases so the test's clock decides
  // when a lease expires (it does not move here): leases of 10.
  auto limiter = make_limiter(*pool, "read=1/s:40");
  LeasedRateLimiter a(limiter, {.lease_ttl = 60s});
  LeasedRateLimiter b(limiter, {.lease_ttl = 60s});
  REQUIRE(a.lease_size({1, 40}) == 10);
  int admitted = 0;
  for (int i = 0; i < 30; ++i) {
    admitted += allowed(a, "key", "read") ? 1 : 0;
    admitted += allowed(b, "key", "read") ? 1 : 0;
  }
  // Every admitted request spent a token of the shared bucket: at most its
  // 40 plus what refilled while the test ran (well under 2 s).
  CHECK(admitted >= 40);
  CHECK(admitted <= 42);
  // 4 leases of 10, then each replica's denial is remembered locally.
  CHECK(a.remote_calls() + b.remote_calls() <= 10);
  // Another key has its own bucket.
  CHECK(allowed(a, "other", "read"));
}

TEST_CASE("an expired lease's unspent tokens are dropped and the next check asks Redis") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "read=1/s:40");
  TestClock clock;
  LeasedRateLimiter leased(limiter, {.lease_ttl = 60s, .now = clock.fn()});
  CHECK(allowed(leased, "key", "read"));
  CHECK(leased.remote_calls() == 1);
  for (int i = 0; i < 9; ++i) CHECK(allowed(leased, "key", "read"));
  CHECK(leased.remote_calls() == 1);  // the lease of 10 is spent locally
  CHECK(allowed(leased, "key", "read"));
  CHECK(leased.remote_calls() == 2);  // a second lease, 9 of it left
  clock.t += 61s;
  CHECK(allowed(leased, "key", "read"));
  CHECK(leased.remote_calls() == 3);  // the 9 expired with their lease
}

TEST_CASE("a leased limit denies with Retry-After, then allows again once tokens are back") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "read=20/s:8");
  LeasedRateLimiter leased(limiter);  // leases of 2
  REQUIRE(leased.lease_size({20, 8}) == 2);
  int admitted = 0;
  std::optional<Decision> denied;
  for (int i = 0; i < 12 && !denied; ++i) {
    auto d = leased.check("key", "read");
    REQUIRE(d.has_value());
    if (d->allowed) {
      ++admitted;
    } else {
      denied = *d;
    }
  }
  REQUIRE(denied.has_value());
  CHECK(admitted >= 8);
  CHECK(admitted <= 10);  // a token or two may have refilled meanwhile
  CHECK(denied->retry_after > 0ms);
  CHECK(rate_limit_headers(*denied).back().name == "Retry-After");
  CHECK(eventually([&] { return allowed(leased, "key", "read"); }, 5s));
}

TEST_CASE("try_check answers from the local share only and never calls Redis") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "read=6/m:12,write=1/m:2");
  TestClock clock;
  LeasedRateLimiter leased(limiter, {.lease_ttl = 60s, .now = clock.fn()});  // read: leases of 3
  CHECK_FALSE(leased.try_check("key", "read").has_value());  // no lease yet: nothing spent
  CHECK(leased.remote_calls() == 0);
  CHECK(allowed(leased, "key", "read"));  // leases 3, spends 1
  for (int i = 0; i < 2; ++i) {
    auto d = leased.try_check("key", "read");
    REQUIRE(d.has_value());
    CHECK(d->allowed);
  }
  CHECK_FALSE(leased.try_check("key", "read").has_value());  // spent: check() must ask
  CHECK(leased.remote_calls() == 1);
  // Until Redis refuses, then the local denial is answered too.
  bool refused = false;
  for (int i = 0; i < 20 && !refused; ++i) refused = !allowed(leased, "key", "read");
  REQUIRE(refused);
  const auto calls = leased.remote_calls();
  auto denied = leased.try_check("key", "read");
  REQUIRE(denied.has_value());
  CHECK_FALSE(denied->allowed);
  CHECK(denied->retry_after > 0ms);
  CHECK(leased.remote_calls() == calls);
  // Exact classes (lease of 1) and unknown ones are never answered locally.
  CHECK(leased.lease_size({1.0 / 60, 2}) == 1);
  CHECK(allowed(leased, "key", "write"));
  CHECK_FALSE(leased.try_check("key", "write").has_value());
  CHECK_FALSE(leased.try_check("key", "nope").has_value());
}

TEST_CASE("without leases every check is one Redis call, exactly as RateLimiter::check") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "read=1000/s:1000");
  LeasedRateLimiter none(limiter, {.lease_ttl = 0ms});
  for (int i = 0; i < 20; ++i) CHECK(allowed(none, "key", "read"));
  CHECK(none.remote_calls() == 20);
  auto unknown = none.check("key", "nope");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().message.find("unknown route class 'nope'") != std::string::npos);
}

TEST_CASE("Redis down: a leased limiter fails like the limiter (503 upstream)") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "read=1000/s:1000");
  LeasedRateLimiter leased(limiter);
  CHECK(allowed(leased, "key", "read"));
  REQUIRE(server.stop());
  // The current lease may still answer; the next lease cannot be had.
  bool failed = false;
  for (int i = 0; i < 200 && !failed; ++i) failed = !leased.check("key", "read").has_value();
  CHECK(failed);
}
