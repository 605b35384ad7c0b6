// snapshot.json, the record in a Vm::snapshot directory of what a restore
// must match (vcpus, memory, kernel, initrd, rootfs, extra cmdline) and which
// VMM wrote the state beside it. Both runtimes write it last, so a directory
// without it is incomplete.
// Threads: any; the caller owns the directory while writing it.
#pragma once

#include <filesystem>
#include <string_view>

#include "aether/vmm/vm.hpp"

namespace aether::vmm {

// Writes dir/snapshot.json (through a rename) for a snapshot taken by `vmm`
// ("qemu", "firecracker").
[[nodiscard]] Result<void> write_snapshot_record(const std::filesystem::path& dir,
                                                 const VmConfig& config, std::string_view vmm);
// Checks `config` and `vmm` against dir/snapshot.json; kInvalidConfig names
// the field, kMissingFile when the record is absent. A record without `vmm`
// was written by QEMU (before Firecracker could snapshot).
[[nodiscard]] Result<void> check_snapshot_record(const std::filesystem::path& dir,
                                                 const VmConfig& config, std::string_view vmm);

}  // namespace aether::vmm
