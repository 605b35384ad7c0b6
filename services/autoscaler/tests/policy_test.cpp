// ScalingPolicy, one decision at a time.
#include <catch2/catch.hpp>

#include "policy_support.hpp"

using namespace aether;
using namespace aether::autoscaler;
using namespace aether::autoscaler::testing;
using namespace std::chrono_literals;

TEST_CASE("policy: queued creates over per-worker capacity scale up at once") {
  ScalingPolicy p(test_policy());
  const auto t0 = TimePoint{} + 1h;
  // One worker, full (4 VMs of 1 vCPU use its 4 vCPUs); 6 more queued: 10 vCPU -> 3 workers.
  auto d = p.decide({.now = t0, .current = 1, .workers = {worker("a", 4)}, .demand = queued(6)});
  CHECK(d.action == v1::SCALE_ACTION_SCALE_UP);
  CHECK(d.from == 1);
  CHECK(d.to == 3);
  CHECK(d.target == 3);
  CHECK(d.backlog == 6);
  CHECK_THAT(d.reason, Catch::Contains("6 queued creates"));
  CHECK(d.used_ratio == Approx(1.0));
}

TEST_CASE("policy: the step limit caps one scale-up, max_workers caps the target") {
  auto c = test_policy();
  c.max_step_up = 2;
  c.max_workers = 5;
  ScalingPolicy p(c);
  auto d = p.decide(
      {.now = TimePoint{} + 1h, .current = 1, .workers = {worker("a", 0)}, .demand = queued(100)});
  CHECK(d.action == v1::SCALE_ACTION_SCALE_UP);
  CHECK(d.target == 5);
  CHECK(d.to == 3);
  CHECK_THAT(d.reason, Catch::Contains("step limit 2"));
}

TEST_CASE("policy: headroom adds capacity on top of demand") {
  auto c = test_policy();
  c.headroom = 0.5;
  ScalingPolicy p(c);
  // 8 vCPU of demand * 1.5 = 12 vCPU -> 3 workers of 4.
  auto d = p.decide({.now = TimePoint{} + 1h,
                     .current = 2,
                     .workers = {worker("a", 4), worker("b", 4)},
                     .demand = {}});
  CHECK(d.target == 3);
  CHECK(d.action == v1::SCALE_ACTION_SCALE_UP);
}

TEST_CASE("policy: min_workers holds a floor with no demand") {
  auto c = test_policy();
  c.min_workers = 2;
  ScalingPolicy p(c);
  auto d = p.decide({.now = TimePoint{} + 1h, .current = 0, .workers = {}, .demand = {}});
  CHECK(d.action == v1::SCALE_ACTION_SCALE_UP);
  CHECK(d.to == 2);
}

TEST_CASE("policy: no workers yet uses the configured worker size") {
  auto c = test_policy();
  c.min_workers = 0;
  c.worker_capacity = {2, 2048, 2};
  ScalingPolicy p(c);
  // 5 queued VMs at 2 VMs per worker -> 3.
  auto d = p.decide({.now = TimePoint{} + 1h, .current = 0, .workers = {}, .demand = queued(5)});
  CHECK(d.to == 3);
}

TEST_CASE("policy: a worker with a runtime fault is not capacity") {
  ScalingPolicy p(test_policy());
  // Two workers, one faulty; 4 VMs queued need one usable worker: the faulty
  // one does not count, so 1 usable + 1 faulty = 2 is at target...
  auto d = p.decide({.now = TimePoint{} + 1h,
                     .current = 2,
                     .workers = {worker("ok", 0), worker("bad", 0, false, "qemu missing")},
                     .demand = queued(4)});
  CHECK(d.action == v1::SCALE_ACTION_HOLD);
  CHECK(d.target == 2);
  CHECK_THAT(d.reason, Catch::Contains("runtime fault not counted"));
  // ... and 8 queued need 2 usable: a third worker.
  auto up = p.decide({.now = TimePoint{} + 1h + 1s,
                      .current = 2,
                      .workers = {worker("ok", 0), worker("bad", 0, false, "qemu missing")},
                      .demand = queued(8)});
  CHECK(up.action == v1::SCALE_ACTION_SCALE_UP);
  CHECK(up.to == 3);
}

TEST_CASE("policy: scale-down waits for the stabilisation window and takes idle workers only") {
  ScalingPolicy p(test_policy());
  const auto t0 = TimePoint{} + 1h;
  const std::vector<WorkerView> ws = {worker("a", 2), worker("b", 0), worker("c", 0)};
  auto first = p.decide({.now = t0, .current = 3, .workers = ws, .demand = {}});
  CHECK(first.action == v1::SCALE_ACTION_HOLD);
  CHECK(first.target == 1);
  CHECK_THAT(first.reason, Catch::Contains("stabilisation window"));
  auto mid = p.decide({.now = t0 + 30s, .current = 3, .workers = ws, .demand = {}});
  CHECK(mid.action == v1::SCALE_ACTION_HOLD);
  auto later = p.decide({.now = t0 + 61s, .current = 3, .workers = ws, .demand = {}});
  REQUIRE(later.action == v1::SCALE_ACTION_SCALE_DOWN);
  CHECK(later.to == 1);
  REQUIRE(later.remove.size() == 2);
  CHECK(later.remove[0].id == "b");
  CHECK(later.remove[1].id == "c");
}

TEST_CASE("policy: a peak inside the window keeps the workers") {
  ScalingPolicy p(test_policy());
  const auto t0 = TimePoint{} + 1h;
  const std::vector<WorkerView> idle = {worker("a", 0), worker("b", 0), worker("c", 0)};
  (void)p.decide({.now = t0, .current = 3, .workers = idle, .demand = {}});
  // A burst needing 3 at t0+50s...
  (void)p.decide({.now = t0 + 50s, .current = 3, .workers = idle, .demand = queued(12)});
  // ...so at t0+70s (window 60 s) the highest target in the window is still 3.
  auto d = p.decide({.now = t0 + 70s, .current = 3, .workers = idle, .demand = {}});
  CHECK(d.action == v1::SCALE_ACTION_HOLD);
  auto after = p.decide({.now = t0 + 111s, .current = 3, .workers = idle, .demand = {}});
  CHECK(after.action == v1::SCALE_ACTION_SCALE_DOWN);
}

TEST_CASE("policy: with no idle worker a scale-down holds, faulty idle workers go first") {
  ScalingPolicy p(test_policy());
  const auto t0 = TimePoint{} + 1h;
  const std::vector<WorkerView> busy = {worker("a", 1), worker("b", 1)};
  (void)p.decide({.now = t0, .current = 2, .workers = busy, .demand = {}});
  auto d = p.decide({.now = t0 + 61s, .current = 2, .workers = busy, .demand = {}});
  CHECK(d.action == v1::SCALE_ACTION_HOLD);
  CHECK_THAT(d.reason, Catch::Contains("no worker is idle"));

  ScalingPolicy q(test_policy());
  const std::vector<WorkerView> mixed = {worker("a", 0), worker("b", 0, true),
                                         worker("c", 0, false, "kvm gone"), worker("d", 1)};
  (void)q.decide({.now = t0, .current = 4, .workers = mixed, .demand = {}});
  auto down = q.decide({.now = t0 + 61s, .current = 4, .workers = mixed, .demand = {}});
  REQUIRE(down.action == v1::SCALE_ACTION_SCALE_DOWN);
  // Target: 1 usable (d's VM) + 1 faulty = 2; remove 2: faulty c first, then draining b.
  REQUIRE(down.remove.size() == 2);
  CHECK(down.remove[0].id == "c");
  CHECK(down.remove[1].id == "b");
}

TEST_CASE("policy: scale-down off never removes, workers being removed are not capacity") {
  auto c = test_policy();
  c.scale_down = false;
  ScalingPolicy p(c);
  const auto t0 = TimePoint{} + 1h;
  const std::vector<WorkerView> idle = {worker("a", 0), worker("b", 0)};
  (void)p.decide({.now = t0, .current = 2, .workers = idle, .demand = {}});
  auto d = p.decide({.now = t0 + 1h, .current = 2, .workers = idle, .demand = {}});
  CHECK(d.action == v1::SCALE_ACTION_HOLD);
  CHECK_THAT(d.reason, Catch::Contains("scale-down is off"));

  ScalingPolicy q(test_policy());
  // b is being removed; 8 queued need 2 usable: b does not count, so scale up by one.
  auto up = q.decide({.now = t0,
                      .current = 2,
                      .workers = {worker("a", 0), worker("b", 0)},
                      .demand = queued(8),
                      .removing = {"b"}});
  CHECK(up.action == v1::SCALE_ACTION_SCALE_UP);
  CHECK(up.to == 3);
}

TEST_CASE("policy: a worker the actuator does not manage is fixed capacity, never removed") {
  auto c = test_policy();
  c.min_workers = 0;
  ScalingPolicy p(c);
  const auto t0 = TimePoint{} + 1h;
  // make run: its own worker "run-1" (4 vCPU) beside the local actuator's none.
  const std::set<std::string> fixed = {"run-1"};
  // One queued create fits on run-1: the actuator adds nothing (it used to go 0 -> 1).
  auto one = p.decide({.now = t0,
                       .current = 0,
                       .workers = {worker("run-1", 0)},
                       .demand = queued(1),
                       .unmanaged = fixed});
  CHECK(one.action == v1::SCALE_ACTION_HOLD);
  CHECK(one.target == 0);
  CHECK_THAT(one.reason, Catch::Contains("1 worker(s) not managed by the actuator"));
  // Six more than run-1 holds (10 vCPU over 4 each): the actuator adds only 2, not 3.
  auto flood = p.decide({.now = t0 + 1s,
                         .current = 0,
                         .workers = {worker("run-1", 4)},
                         .demand = queued(6),
                         .unmanaged = fixed});
  CHECK(flood.action == v1::SCALE_ACTION_SCALE_UP);
  CHECK(flood.to == 2);
  // Everything idle a whole window later: only the actuator's own workers are drained.
  const std::vector<WorkerView> idle = {worker("run-1", 0), worker("w-1", 0), worker("w-2", 0)};
  auto down =
      p.decide({.now = t0 + 2min, .current = 2, .workers = idle, .demand = {}, .unmanaged = fixed});
  REQUIRE(down.action == v1::SCALE_ACTION_SCALE_DOWN);
  CHECK(down.to == 0);
  REQUIRE(down.remove.size() == 2);
  CHECK(down.remove[0].id == "w-1");
  CHECK(down.remove[1].id == "w-2");
  // A faulty fixed worker is no capacity: the actuator replaces it.
  auto fault = p.decide({.now = t0 + 3min,
                         .current = 0,
                         .workers = {worker("run-1", 0, false, "qemu gone")},
                         .demand = queued(1),
                         .unmanaged = fixed});
  CHECK(fault.action == v1::SCALE_ACTION_SCALE_UP);
  CHECK(fault.to == 1);
}

TEST_CASE("policy: action tokens name the event subjects") {
  CHECK(action_token(v1::SCALE_ACTION_SCALE_UP) == "scale_up");
  CHECK(action_token(v1::SCALE_ACTION_SCALE_DOWN) == "scale_down");
  CHECK(action_token(v1::SCALE_ACTION_HOLD) == "hold");
}
