// What a VM restored from a snapshot must not share with its siblings: the
// kernel's random state, the wall clock (frozen at the snapshot), the
// hostname and the machine id. Applied when the host sends a Restored frame.
// Single-threaded (the agent's serve loop).
#pragma once

#include <string>
#include <vector>

#include "aether/v1/guest.pb.h"

namespace aether::vm_agent {

// Checks the frame's fields (the message names the field and the rule).
[[nodiscard]] std::string restored_problem(const v1::Restored& restored);

// Applies it. `system` (PID 1 in a guest): entropy, clock and hostname too;
// otherwise (tests on a host) only the machine id under `root`. Returns what
// failed (each "what: why"); the agent reports them in its log and goes on.
[[nodiscard]] std::vector<std::string> apply_restored(const v1::Restored& restored,
                                                      const std::string& root, bool system);

}  // namespace aether::vm_agent
