#include <catch2/catch.hpp>

#include "room_planner.hpp"

using namespace aether::worker;
using aether::bus::default_vm_classes;

namespace {
// Default classes (small 1/512, medium 2/2048, large 8/16384), per-VM max 2 vCPU / 2 GiB.
RoomPlanner planner() { return RoomPlanner(default_vm_classes(), 2, 2048); }
const std::vector<bool> kNoneStarving{false, false, false};
}  // namespace

TEST_CASE("planner: a class's unit is its size capped by the per-VM limits") {
  auto p = planner();
  CHECK(p.unit(0) == Resources{1, 512, 1});
  CHECK(p.unit(1) == Resources{2, 2048, 1});
  CHECK(p.unit(2) == Resources{2, 2048, 1});  // large, capped
  CHECK(p.fits(0, {8, 21952, 32}) == 8);      // vCPUs bound it
  CHECK(p.fits(0, {8, 1500, 32}) == 2);       // memory bound it
  CHECK(p.fits(1, {8, 21952, 3}) == 3);       // the VM count bound it
  CHECK(p.class_of(1, 256) == 0);
  CHECK(p.class_of(1, 1024) == 1);
  CHECK(p.class_of(4, 256) == 2);
  CHECK(p.class_of(64, 1 << 20) == 2);  // larger than every class: the last
}

TEST_CASE("planner: a class is pulled whenever one VM of it fits, not only the largest") {
  auto p = planner();
  // One 1 vCPU / 256 MiB VM on a 2-core node with the old defaults (2 vCPU,
  // 2 GiB) left 1 vCPU: the small class still fits, the medium does not.
  const Resources free{1, 1792, 7};
  CHECK(p.decide(0, free, kNoneStarving, {}) == PullDecision::kPull);
  CHECK(p.decide(1, free, kNoneStarving, {}) == PullDecision::kNoRoom);
  CHECK(p.decide(2, free, kNoneStarving, {}) == PullDecision::kNoRoom);
  CHECK(p.decide(0, {0, 1792, 7}, kNoneStarving, {}) == PullDecision::kNoRoom);
  CHECK(p.decide(0, {4, 4096, 0}, kNoneStarving, {}) == PullDecision::kNoRoom);
  CHECK(p.smallest_fitting(free) == 0u);
  CHECK_FALSE(p.smallest_fitting({0, 0, 0}));
}

TEST_CASE("planner: a starving larger class keeps its room from smaller ones") {
  auto p = planner();
  const std::vector<bool> medium_starving{false, true, false};
  // 1 vCPU free: medium does not fit, so small may not take the last vCPU.
  CHECK(p.decide(0, {1, 4096, 8}, medium_starving, {}) == PullDecision::kHeldBack);
  // 3 vCPU free: a small still leaves a medium's room.
  CHECK(p.decide(0, {3, 4096, 8}, medium_starving, {}) == PullDecision::kPull);
  // 2 vCPU free: a small would leave only 1: held back; medium is pulled.
  CHECK(p.decide(0, {2, 4096, 8}, medium_starving, {}) == PullDecision::kHeldBack);
  CHECK(p.decide(1, {2, 4096, 8}, medium_starving, {}) == PullDecision::kPull);
  // A starving smaller class does not hold back a larger one.
  CHECK(p.decide(1, {2, 4096, 8}, {true, false, false}, {}) == PullDecision::kPull);
}

TEST_CASE("planner: a worker defers to a peer with more room for the class") {
  auto p = planner();
  const Resources free{2, 4096, 8};  // 2 small VMs fit
  const PeerRoom emptier{"b", true, {8, 4, 4}, {}, {}};
  const PeerRoom fuller{"c", true, {1, 0, 0}, {}, {}};
  const PeerRoom same{"d", true, {2, 1, 1}, {}, {}};
  const PeerRoom busy{"e", false, {8, 4, 4}, {}, {}};
  CHECK(p.decide(0, free, kNoneStarving, {emptier}) == PullDecision::kDefer);
  CHECK(p.decide(0, free, kNoneStarving, {fuller, same}) == PullDecision::kPull);
  CHECK(p.decide(0, free, kNoneStarving, {busy}) == PullDecision::kPull);
  // No room beats deferring: the answer says why it does not pull.
  CHECK(p.decide(1, {1, 4096, 8}, kNoneStarving, {emptier}) == PullDecision::kNoRoom);
}

TEST_CASE("planner: only the worker closest to fitting a starving class keeps room for it") {
  auto p = planner();
  // Medium (2 vCPU / 2 GiB) starving; this worker "w-b" has 1 vCPU free.
  const Resources mine{1, 4096, 8};
  const PeerRoom closer{"w-c", true, {}, {1, 8192, 8}, {}};    // as close, higher id
  const PeerRoom lower_id{"w-a", true, {}, {1, 4096, 8}, {}};  // as close, lower id
  const PeerRoom far{"w-d", true, {}, {0, 1024, 8}, {}};
  const PeerRoom fits_there{"w-e", true, {}, {2, 4096, 8}, {}};
  CHECK(p.shortfall(1, mine) == Approx(0.5));
  CHECK(p.shortfall(1, {2, 2048, 1}) == 0);
  CHECK(p.closest_to_fit(1, mine, "w-b", {far}));
  CHECK(p.closest_to_fit(1, mine, "w-b", {closer, far}));  // same shortfall, higher id
  CHECK_FALSE(p.closest_to_fit(1, mine, "w-b", {lower_id, far}));
  CHECK_FALSE(p.closest_to_fit(1, mine, "w-b", {fits_there}));  // it fits there: no hold here
  CHECK_FALSE(p.closest_to_fit(1, {0, 0, 0}, "w-b", {far}));
  // A peer whose hold expired (resting) or that does not accept is passed over.
  const PeerRoom resting{"w-a", true, {}, {1, 4096, 8}, {false, true, false}};
  const PeerRoom busy{"w-a", false, {}, {2, 4096, 8}, {}};
  CHECK(p.closest_to_fit(1, mine, "w-b", {resting, far}));
  CHECK(p.closest_to_fit(1, mine, "w-b", {busy, far}));
}

TEST_CASE("planner: fits counts what the worker would pull, room for held classes kept") {
  auto p = planner();
  const std::vector<bool> medium_held{false, true, false};
  CHECK(p.pullable(0, {5, 8192, 8}, kNoneStarving) == 5);
  CHECK(p.pullable(0, {5, 8192, 8}, medium_held) == 3);  // 2 vCPU kept for one medium
  CHECK(p.pullable(0, {1, 8192, 8}, medium_held) == 0);  // medium does not fit yet: none
  CHECK(p.pullable(1, {5, 8192, 8}, medium_held) == 2);  // the held class itself: all
  // A worker holding back small does not count as the roomier peer for it.
  const PeerRoom holder{"h", true, {p.pullable(0, {1, 8192, 8}, medium_held), 0, 0}, {}, {}};
  CHECK(p.decide(0, {1, 4096, 8}, kNoneStarving, {holder}) == PullDecision::kPull);
}
