// The token bucket against a real redis-server: bursts, refill, separate
// buckets, replicas sharing one, atomicity under concurrency, NOSCRIPT, expiry,
// and Redis stopped and started again.
#include <catch2/catch.hpp>
#include <thread>

#include "aether/redis/rate_limiter.hpp"
#include "itest_support.hpp"

using namespace aether::redis;
using namespace aether::redis::testing;
using namespace std::chrono_literals;

namespace {

Decision check(const RateLimiter& limiter, const char* subject, const char* route_class,
               std::int64_t cost = 1) {
  auto d = limiter.check(subject, route_class, cost);
  INFO((d ? std::string() : d.error().message));
  REQUIRE(d.has_value());
  return *d;
}

}  // namespace

TEST_CASE("a burst is allowed, the next request is denied with a retry time") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "write=1/m:3");
  for (int i = 0; i < 3; ++i) {
    auto d = check(limiter, "key-a", "write");
    CHECK(d.allowed);
    CHECK(d.limit == 3);
    CHECK(d.remaining == 2 - i);
  }
  auto denied = check(limiter, "key-a", "write");
  CHECK_FALSE(denied.allowed);
  CHECK(denied.remaining == 0);
  // One token comes back per minute: the retry is most of a minute away.
  CHECK(denied.retry_after > 50s);
  CHECK(denied.retry_after <= 60s);
  CHECK(denied.reset_after > 170s);
  CHECK(rate_limit_headers(denied).back().name == "Retry-After");
}

TEST_CASE("tokens come back at the configured rate, so a denied key is allowed again") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "read=20/s:2");
  CHECK(check(limiter, "k", "read").allowed);
  CHECK(check(limiter, "k", "read").allowed);
  auto denied = check(limiter, "k", "read");
  REQUIRE_FALSE(denied.allowed);
  CHECK(denied.retry_after > 0ms);
  CHECK(denied.retry_after <= 50ms);
  std::this_thread::sleep_for(denied.retry_after + 10ms);
  CHECK(check(limiter, "k", "read").allowed);
}

TEST_CASE("subjects and classes have buckets of their own") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "read=1/h:1,write=1/h:1");
  CHECK(check(limiter, "alice", "read").allowed);
  CHECK_FALSE(check(limiter, "alice", "read").allowed);
  CHECK(check(limiter, "bob", "read").allowed);
  CHECK(check(limiter, "alice", "write").allowed);
}

TEST_CASE("a cost above the burst is never allowed, and a cost takes that many tokens") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "exec=1/h:5");
  auto too_big = check(limiter, "k", "exec", 6);
  CHECK_FALSE(too_big.allowed);
  CHECK(too_big.retry_after == 0ms);
  CHECK(too_big.remaining == 5);
  auto three = check(limiter, "k", "exec", 3);
  CHECK(three.allowed);
  CHECK(three.remaining == 2);
  CHECK_FALSE(check(limiter, "k", "exec", 3).allowed);
}

TEST_CASE("two replicas (two pools, two limiters) share one bucket") {
  auto server = start_redis();
  auto pool_a = make_pool(pool_options(server));
  auto pool_b = make_pool(pool_options(server));
  auto a = make_limiter(*pool_a, "write=1/h:2");
  auto b = make_limiter(*pool_b, "write=1/h:2");
  CHECK(check(a, "key", "write").allowed);
  CHECK(check(b, "key", "write").allowed);
  CHECK_FALSE(check(a, "key", "write").allowed);
  CHECK_FALSE(check(b, "key", "write").allowed);
}

TEST_CASE("concurrent checks are atomic: exactly the burst is allowed") {
  auto server = start_redis();
  auto options = pool_options(server, 4);
  options.acquire_timeout = 5s;
  auto pool = make_pool(options);
  auto limiter = make_limiter(*pool, "read=1/h:100");
  std::atomic<int> allowed{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto d = limiter.check("shared", "read");
        if (!d)
          ++errors;
        else if (d->allowed)
          ++allowed;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(errors == 0);
  CHECK(allowed == 100);
}

TEST_CASE("after SCRIPT FLUSH the limiter falls back to EVAL once, then EVALSHA works again") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server, 1));
  auto limiter = make_limiter(*pool, "read=1/h:10");
  CHECK(check(limiter, "k", "read").allowed);  // first ever: NOSCRIPT, then EVAL
  CHECK(limiter.script().fallbacks() == 1);
  CHECK(check(limiter, "k", "read").allowed);
  CHECK(limiter.script().fallbacks() == 1);
  REQUIRE(pool->command({"SCRIPT", "FLUSH"}).has_value());
  auto d = check(limiter, "k", "read");
  CHECK(d.allowed);
  CHECK(d.remaining == 7);  // the bucket survived the flush: only the script cache went
  CHECK(limiter.script().fallbacks() == 2);
  CHECK(check(limiter, "k", "read").allowed);
  CHECK(limiter.script().fallbacks() == 2);
}

TEST_CASE("a bucket's key expires once it would be full again") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "read=10/s:10");
  CHECK(check(limiter, "k", "read", 5).allowed);
  auto pttl = pool->command({"PTTL", "aether:rl:read:k"});
  REQUIRE(pttl.has_value());
  // Half empty at 10/s: full in 500 ms, plus the one-second margin.
  CHECK(pttl->integer() > 1000);
  CHECK(pttl->integer() <= 1500);
}

TEST_CASE("the limiter says unavailable while Redis is down and works once it is back") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  auto limiter = make_limiter(*pool, "read=1/h:5");
  CHECK(check(limiter, "k", "read").allowed);
  REQUIRE(server.stop().has_value());
  auto down = limiter.check("k", "read");
  REQUIRE_FALSE(down.has_value());
  CHECK(is_unavailable(down.error()));
  REQUIRE(server.restart().has_value());
  CHECK(eventually([&] { return limiter.check("k", "read").has_value(); }));
  // The restarted server kept nothing (no persistence): a fresh, full bucket.
  CHECK(check(limiter, "k", "read").remaining == 3);
}
