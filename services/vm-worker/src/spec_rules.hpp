// Checks on a CreateVm before anything is booted. Two kinds of bad input:
// - malformed: no usable vm_id (the command cannot even be reported on the
//   VM's event subject): the message is terminated and logged;
// - impossible: the spec can never run here (0 vCPUs, more memory than the
//   node, unknown template, over a per-VM limit): the VM ends FAILED with the
//   reason, and the message is acked (never retried).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "aether/v1/vm.pb.h"
#include "capacity.hpp"
#include "worker_config.hpp"

namespace aether::worker {

// vm ids become subject tokens and directory names: [A-Za-z0-9_-]{1,64}.
[[nodiscard]] bool valid_vm_id(std::string_view id);

// nullopt when the command is usable, else why it is malformed.
[[nodiscard]] std::optional<std::string> malformed_reason(const v1::CreateVm& create);

// nullopt when the spec can run on this worker, else the reason (naming the
// field and the rule).
[[nodiscard]] std::optional<std::string> impossible_reason(
    const v1::VmSpec& spec, const VmLimits& limits, const Resources& node_capacity,
    const std::map<std::string, GuestTemplate>& templates, bool network_enabled);

// The resources a spec reserves.
[[nodiscard]] Resources resources_of(const v1::VmSpec& spec);

}  // namespace aether::worker
