#include <catch2/catch.hpp>

#include "vm_state.hpp"

using namespace aether::worker;
using namespace aether::v1;

TEST_CASE("state machine: the happy path is allowed step by step") {
  CHECK(transition_allowed(VM_STATE_PENDING, VM_STATE_SCHEDULED));
  CHECK(transition_allowed(VM_STATE_UNSPECIFIED, VM_STATE_SCHEDULED));
  CHECK(transition_allowed(VM_STATE_SCHEDULED, VM_STATE_BOOTING));
  CHECK(transition_allowed(VM_STATE_BOOTING, VM_STATE_READY));
  CHECK(transition_allowed(VM_STATE_SCHEDULED, VM_STATE_READY));  // warm pool
  CHECK(transition_allowed(VM_STATE_READY, VM_STATE_STOPPING));
  CHECK(transition_allowed(VM_STATE_STOPPING, VM_STATE_STOPPED));
  CHECK(transition_allowed(VM_STATE_STOPPED, VM_STATE_DELETED));
}

TEST_CASE("state machine: skipping or going back is refused") {
  CHECK_FALSE(transition_allowed(VM_STATE_SCHEDULED, VM_STATE_STOPPED));
  CHECK_FALSE(transition_allowed(VM_STATE_READY, VM_STATE_BOOTING));
  CHECK_FALSE(transition_allowed(VM_STATE_READY, VM_STATE_READY));
  CHECK_FALSE(transition_allowed(VM_STATE_READY, VM_STATE_DELETED));
  CHECK_FALSE(transition_allowed(VM_STATE_DELETED, VM_STATE_READY));
  CHECK_FALSE(transition_allowed(VM_STATE_STOPPED, VM_STATE_READY));
  CHECK_FALSE(transition_allowed(VM_STATE_READY, VM_STATE_PENDING));
}

TEST_CASE("state machine: a worker that cannot boot may hand a VM back to PENDING") {
  CHECK(transition_allowed(VM_STATE_BOOTING, VM_STATE_PENDING));
  CHECK(transition_allowed(VM_STATE_SCHEDULED, VM_STATE_PENDING));
  CHECK_FALSE(transition_allowed(VM_STATE_PENDING, VM_STATE_PENDING));
  CHECK_FALSE(transition_allowed(VM_STATE_FAILED, VM_STATE_PENDING));
}

TEST_CASE("state machine: FAILED from any live state, never twice, and deletable") {
  for (auto s : {VM_STATE_UNSPECIFIED, VM_STATE_PENDING, VM_STATE_SCHEDULED, VM_STATE_BOOTING,
                 VM_STATE_READY, VM_STATE_STOPPING}) {
    CHECK(transition_allowed(s, VM_STATE_FAILED));
  }
  CHECK_FALSE(transition_allowed(VM_STATE_FAILED, VM_STATE_FAILED));
  CHECK_FALSE(transition_allowed(VM_STATE_DELETED, VM_STATE_FAILED));
  CHECK(transition_allowed(VM_STATE_FAILED, VM_STATE_DELETED));
}

TEST_CASE("state machine: subject tokens round-trip") {
  for (auto s : {VM_STATE_PENDING, VM_STATE_SCHEDULED, VM_STATE_BOOTING, VM_STATE_READY,
                 VM_STATE_STOPPING, VM_STATE_STOPPED, VM_STATE_DELETED, VM_STATE_FAILED}) {
    CHECK(state_from_token(state_token(s)) == s);
  }
  CHECK(state_token(VM_STATE_READY) == "ready");
  CHECK(state_from_token("nonsense") == VM_STATE_UNSPECIFIED);
  CHECK(holds_resources(VM_STATE_BOOTING));
  CHECK_FALSE(holds_resources(VM_STATE_STOPPED));
  CHECK(is_final(VM_STATE_FAILED));
  CHECK_FALSE(is_final(VM_STATE_STOPPED));
}

TEST_CASE("state machine: pause and resume") {
  CHECK(transition_allowed(VM_STATE_READY, VM_STATE_PAUSING));
  CHECK(transition_allowed(VM_STATE_PAUSING, VM_STATE_PAUSED));
  CHECK(transition_allowed(VM_STATE_PAUSED, VM_STATE_RESUMING));
  CHECK(transition_allowed(VM_STATE_RESUMING, VM_STATE_READY));
  CHECK(transition_allowed(VM_STATE_PAUSING, VM_STATE_READY));    // the runtime refused
  CHECK(transition_allowed(VM_STATE_RESUMING, VM_STATE_PAUSED));  // failed before it ran
  CHECK(transition_allowed(VM_STATE_PAUSED, VM_STATE_STOPPING));
  for (auto s : {VM_STATE_PAUSING, VM_STATE_PAUSED, VM_STATE_RESUMING}) {
    CHECK(transition_allowed(s, VM_STATE_FAILED));
    CHECK(state_from_token(state_token(s)) == s);
  }
  CHECK(state_token(VM_STATE_PAUSED) == "paused");
  CHECK_FALSE(transition_allowed(VM_STATE_PAUSED, VM_STATE_READY));  // only through RESUMING
  CHECK_FALSE(transition_allowed(VM_STATE_BOOTING, VM_STATE_PAUSING));
  CHECK_FALSE(transition_allowed(VM_STATE_PAUSED, VM_STATE_PAUSING));
  CHECK_FALSE(holds_resources(VM_STATE_PAUSED));  // its capacity is free while paused
  CHECK(holds_resources(VM_STATE_PAUSING));
  CHECK(holds_resources(VM_STATE_RESUMING));
}
