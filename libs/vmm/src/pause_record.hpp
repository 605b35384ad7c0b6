// pause.json, the record of a paused VM (see pause_record.cpp; the public
// part, paused_dir/is_paused/read_pause_record/discard_pause, is in vm.hpp).
// Threads: any; the caller owns the state dir.
#pragma once

#include "aether/vmm/vm.hpp"

namespace aether::vmm {

// Writes paused_dir(config.state_dir)/pause.json (the directory exists).
[[nodiscard]] Result<void> write_pause_record(const VmConfig& config);
// config against the record; kInvalidConfig names the first field that differs.
[[nodiscard]] Result<void> check_pause_record(const VmConfig& config);

}  // namespace aether::vmm
