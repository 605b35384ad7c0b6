// The VM lifecycle state machine of DESIGN.md:
//   PENDING -> SCHEDULED -> BOOTING -> READY -> STOPPING -> STOPPED -> DELETED
// and FAILED from any live state. A warm-pool hit goes SCHEDULED -> READY
// (the VM booted earlier). FAILED and STOPPED VMs may still be deleted.
// Pause: READY -> PAUSING -> PAUSED -> RESUMING -> READY; a paused VM may be
// stopped (STOPPING) or fail; PAUSED holds no capacity.
#pragma once

#include <string_view>

#include "aether/v1/vm.pb.h"

namespace aether::worker {

using v1::VmState;

// Whether `from` -> `to` is a legal transition.
[[nodiscard]] bool transition_allowed(VmState from, VmState to);
// "ready", "booting", ... (the last token of aether.evt.vm.<id>.<state>).
[[nodiscard]] std::string_view state_token(VmState state);
// Inverse of state_token; VM_STATE_UNSPECIFIED for an unknown token.
[[nodiscard]] VmState state_from_token(std::string_view token);
// The VM holds host resources (hypervisor running or about to).
[[nodiscard]] bool holds_resources(VmState state);
[[nodiscard]] bool is_final(VmState state);  // DELETED or FAILED

}  // namespace aether::worker
