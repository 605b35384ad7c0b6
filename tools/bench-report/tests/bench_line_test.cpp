#include <catch2/catch.hpp>

#include "bench_line.hpp"

using aether::bench_report::parse_bench_line;

TEST_CASE("a BENCH line parses into a figure with its baseline and ratio") {
  auto f = parse_bench_line(
      "BENCH figure=bus.request_p50 value=61.5 unit=us baseline=50 baseline_of=raw_cnats "
      "better=lower");
  REQUIRE(f);
  REQUIRE(*f);
  CHECK((*f)->figure == "bus.request_p50");
  CHECK((*f)->value == 61.5);
  CHECK((*f)->unit == "us");
  CHECK(*(*f)->baseline == 50);
  CHECK((*f)->baseline_of == "raw_cnats");
  CHECK((*f)->better == "lower");
  CHECK(*(*f)->ratio() == Approx(1.23));
}

TEST_CASE("ordinary output is not a figure; a figure without baseline has no ratio") {
  auto plain = parse_bench_line("publish (msgs/s)   123 456");
  REQUIRE(plain);
  CHECK_FALSE(*plain);
  auto bare = parse_bench_line("BENCH value=3 figure=x.y");  // any order
  REQUIRE(bare);
  REQUIRE(*bare);
  CHECK_FALSE((*bare)->ratio());
  auto zero = parse_bench_line("BENCH figure=x.y value=3 baseline=0 baseline_of=z");
  REQUIRE(zero);
  CHECK_FALSE((**zero).ratio());
}

TEST_CASE("malformed BENCH lines are errors naming what is wrong") {
  auto error = [](const char* line) {
    auto r = parse_bench_line(line);
    REQUIRE_FALSE(r);
    return r.error();
  };
  CHECK_THAT(error("BENCH value=1"), Catch::Contains("figure="));
  CHECK_THAT(error("BENCH figure=a"), Catch::Contains("value="));
  CHECK_THAT(error("BENCH figure=a value=fast"), Catch::Contains("value='fast'"));
  CHECK_THAT(error("BENCH figure=a value=nan"), Catch::Contains("finite"));
  CHECK_THAT(error("BENCH figure=a value=1 baseline=2"), Catch::Contains("baseline_of="));
  CHECK_THAT(error("BENCH figure=a value=1 better=faster"), Catch::Contains("better='faster'"));
  CHECK_THAT(error("BENCH figure=a value=1 colour=red"), Catch::Contains("unknown key 'colour'"));
  CHECK_THAT(error("BENCH figure=a value=1 value=2"), Catch::Contains("twice"));
  CHECK_THAT(error("BENCH figure=a value=1 loose"), Catch::Contains("'loose'"));
}
