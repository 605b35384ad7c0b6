// AETHER_RATE_LIMITS parsing, the RateLimit headers, and the limiter's own
// argument checks (none of these talk to Redis).
#include <catch2/catch.hpp>

#include "aether/redis/rate_limiter.hpp"

using namespace aether::redis;
using namespace std::chrono_literals;

TEST_CASE("rates are read per class with units and optional bursts") {
  auto rates = parse_rates("read=100/s:200, write = 30/m ,exec=7200/h:10");
  REQUIRE(rates.has_value());
  REQUIRE(rates->size() == 3);
  CHECK(rates->at("read").tokens_per_second == Approx(100));
  CHECK(rates->at("read").burst == 200);
  CHECK(rates->at("write").tokens_per_second == Approx(0.5));
  CHECK(rates->at("write").burst == 30);  // burst defaults to the count
  CHECK(rates->at("exec").tokens_per_second == Approx(2));
  CHECK(rates->at("exec").burst == 10);
}

TEST_CASE("the default rates parse") {
  auto rates = parse_rates(kDefaultRates);
  REQUIRE(rates.has_value());
  CHECK(rates->contains("read"));
  CHECK(rates->contains("write"));
  CHECK(rates->contains("exec"));
  CHECK(rates->contains("events"));
}

TEST_CASE("bad rate text names the item and the rule") {
  auto expect_bad = [](const char* text, const char* needle) {
    auto rates = parse_rates(text);
    INFO(text);
    REQUIRE_FALSE(rates.has_value());
    CHECK(rates.error().code == Errc::kInvalidArgument);
    INFO(rates.error().message);
    CHECK(rates.error().message.find(needle) != std::string::npos);
  };
  expect_bad("read=0/s", "item 'read=0/s': the count must be a positive");
  expect_bad("read=10", "needs a unit");
  expect_bad("read=10/d", "the unit must be s, m or h, got 'd'");
  expect_bad("read=10/s:", "burst");
  expect_bad("read=10/s:-3", "burst");
  expect_bad("read", "expected CLASS=COUNT/UNIT");
  expect_bad("Read=1/s", "class name");
  expect_bad("read=1/s,,write=1/s", "empty item");
  expect_bad("", "empty item");
  expect_bad("read=1/s,read=2/s", "'read' is given twice");
}

TEST_CASE("format_rates writes what parse_rates reads") {
  auto rates = parse_rates("a=10/s:20,b=60/m");
  REQUIRE(rates.has_value());
  auto again = parse_rates(format_rates(*rates));
  REQUIRE(again.has_value());
  CHECK(again->at("a").burst == 20);
  CHECK(again->at("b").tokens_per_second == Approx(1));
  CHECK(again->at("b").burst == 60);
}

TEST_CASE("RateLimit headers: limit, remaining, reset, and Retry-After only when denied") {
  Decision allowed{
      .allowed = true, .limit = 10, .remaining = 7, .retry_after = 0ms, .reset_after = 1'200ms};
  auto headers = rate_limit_headers(allowed);
  REQUIRE(headers.size() == 3);
  CHECK(headers[0].name == "RateLimit-Limit");
  CHECK(headers[0].value == "10");
  CHECK(headers[1].value == "7");
  CHECK(headers[2].name == "RateLimit-Reset");
  CHECK(headers[2].value == "2");  // rounded up

  Decision denied{
      .allowed = false, .limit = 10, .remaining = 0, .retry_after = 40ms, .reset_after = 5'000ms};
  headers = rate_limit_headers(denied);
  REQUIRE(headers.size() == 4);
  CHECK(headers[3].name == "Retry-After");
  CHECK(headers[3].value == "1");  // at least one second
}

TEST_CASE("the limiter refuses empty rates, bad rates, unknown classes and bad costs") {
  Pool pool(PoolOptions{});  // never connects: every check fails before Redis
  CHECK(RateLimiter::create(pool, {}).error().code == Errc::kInvalidArgument);
  RateLimiterOptions zero;
  zero.rates["read"] = Rate{0, 5};
  CHECK(RateLimiter::create(pool, zero).error().code == Errc::kInvalidArgument);

  RateLimiterOptions options;
  options.rates["read"] = Rate{1, 5};
  auto limiter = RateLimiter::create(pool, options);
  REQUIRE(limiter.has_value());
  auto unknown = limiter->check("key1", "write");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code == Errc::kInvalidArgument);
  CHECK(unknown.error().message.find("unknown route class 'write'") != std::string::npos);
  CHECK(limiter->check("", "read").error().code == Errc::kInvalidArgument);
  CHECK(limiter->check("key1", "read", 0).error().code == Errc::kInvalidArgument);
}
