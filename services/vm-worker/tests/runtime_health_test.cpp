#include <catch2/catch.hpp>

#include "runtime_health.hpp"

using aether::worker::is_node_fault;
using aether::worker::RuntimeHealth;
using namespace std::chrono_literals;
namespace vmm = aether::vmm;

TEST_CASE("runtime health: node faults and VM faults are told apart") {
  CHECK(is_node_fault(vmm::Errc::kMissingFile));
  CHECK(is_node_fault(vmm::Errc::kSpawn));
  CHECK(is_node_fault(vmm::Errc::kUnsupported));
  CHECK(is_node_fault(vmm::Errc::kBootTimeout));
  CHECK_FALSE(is_node_fault(vmm::Errc::kProtocol));
  CHECK_FALSE(is_node_fault(vmm::Errc::kGuestError));
  CHECK_FALSE(is_node_fault(vmm::Errc::kInvalidConfig));
}

TEST_CASE("runtime health: a node fault stops boots until the retry time, then allows one trial") {
  RuntimeHealth health(10s, 40s);
  const auto t0 = RuntimeHealth::Clock::now();
  REQUIRE(health.may_boot(t0));
  CHECK_FALSE(health.fault());

  health.boot_started();
  health.boot_failed_on_node("qemu: not found", t0);
  REQUIRE(health.fault());
  CHECK(*health.fault() == "qemu: not found");
  CHECK_FALSE(health.may_boot(t0 + 9s));
  REQUIRE(health.may_boot(t0 + 10s));

  // One trial at a time.
  health.boot_started();
  CHECK_FALSE(health.may_boot(t0 + 11s));

  // The trial fails too: the wait doubles.
  const auto t1 = t0 + 12s;
  health.boot_failed_on_node("qemu: not found", t1);
  CHECK_FALSE(health.may_boot(t1 + 19s));
  CHECK(health.may_boot(t1 + 20s));

  // ...up to the maximum.
  health.boot_failed_on_node("x", t1);
  health.boot_failed_on_node("x", t1);
  health.boot_failed_on_node("x", t1);
  CHECK_FALSE(health.may_boot(t1 + 39s));
  CHECK(health.may_boot(t1 + 40s));

  // A trial that ends for the VM's own reason frees the trial slot only.
  health.boot_started();
  health.boot_ended();
  CHECK(health.fault());
  CHECK(health.may_boot(t1 + 40s));

  // A success closes the breaker and resets the backoff.
  health.boot_started();
  health.boot_succeeded();
  CHECK_FALSE(health.fault());
  CHECK(health.may_boot(t1));
  health.boot_failed_on_node("again", t1);
  CHECK(health.may_boot(t1 + 10s));
}
