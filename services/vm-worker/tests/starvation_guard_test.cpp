#include <catch2/catch.hpp>

#include "starvation_guard.hpp"

using namespace aether::worker;
using namespace std::chrono_literals;

namespace {
const StarvationGuard::Clock::time_point t0{};
}  // namespace

TEST_CASE("starvation guard: holds only after the backlog waited, and only when closest") {
  StarvationGuard g(3, 5s, 10s);
  CHECK_FALSE(g.observe(2, t0, 1, true));  // just started waiting
  CHECK_FALSE(g.observe(2, t0 + 4s, 1, true));
  CHECK_FALSE(g.holding(2));
  CHECK(g.observe(2, t0 + 5s, 1, true));  // waited 5 s: holds
  CHECK(g.holding(2));
  CHECK(g.holding() == std::vector<bool>{false, false, true});
  CHECK(g.observe(2, t0 + 6s, 1, false));  // another worker is closer now
  CHECK_FALSE(g.holding(2));
  CHECK(g.observe(2, t0 + 7s, 2, true));
  CHECK(g.clear(2));  // backlog seen empty
  CHECK_FALSE(g.holding(2));
  CHECK_FALSE(g.observe(2, t0 + 8s, 1, true));  // a new wait starts from zero
  CHECK_FALSE(g.observe(2, t0 + 8s, 0, true));  // an empty backlog never holds
}

TEST_CASE("starvation guard: a hold is bounded, then the worker rests as long") {
  StarvationGuard g(2, 1s, 10s);
  g.observe(1, t0, 1, true);
  CHECK(g.observe(1, t0 + 1s, 1, true));
  CHECK_FALSE(g.observe(1, t0 + 10s, 1, true));  // 9 s into the hold
  CHECK(g.observe(1, t0 + 11s, 1, true));        // 10 s: ends
  CHECK_FALSE(g.holding(1));
  CHECK(g.resting(1, t0 + 11s));
  CHECK(g.resting(t0 + 12s) == std::vector<bool>{false, true});
  CHECK_FALSE(g.observe(1, t0 + 20s, 1, true));  // still resting
  CHECK(g.observe(1, t0 + 21s, 1, true));        // rest over: may hold again
  CHECK_FALSE(g.resting(1, t0 + 21s));
}

TEST_CASE("starvation guard: a create of the class pulled here restarts the hold's time") {
  StarvationGuard g(2, 1s, 10s);
  g.observe(1, t0, 1, true);
  CHECK(g.observe(1, t0 + 1s, 1, true));
  g.pulled(1, t0 + 8s);                          // it fitted: one VM placed
  CHECK_FALSE(g.observe(1, t0 + 12s, 1, true));  // the next one's hold began at 8 s
  CHECK(g.holding(1));
  CHECK(g.observe(1, t0 + 18s, 1, true));
  CHECK(g.resting(1, t0 + 18s));
}
