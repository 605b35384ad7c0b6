// The QEMU command line for one microVM, built apart from launching it so a
// unit test can check it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "aether/vmm/runtime.hpp"
#include "aether/vmm/vm.hpp"

namespace aether::vmm {

struct QemuPaths {
  std::filesystem::path
      agent_socket;                  // we listen, QEMU connects (nothing is lost before we accept)
  std::filesystem::path qmp_socket;  // QEMU listens
  std::filesystem::path console_log;
  std::filesystem::path vmm_log;
  std::filesystem::path rootfs_overlay;  // the VM's qcow2 layer on VmConfig.rootfs
};

[[nodiscard]] QemuPaths qemu_paths(const VmConfig& config);

// TCG cannot calibrate the TSC on microvm (no PIT gate, no HPET), so it is
// told the host's TSC rate; unknown → 0.
[[nodiscard]] unsigned long host_tsc_khz();

[[nodiscard]] std::vector<std::string> qemu_command_line(const std::filesystem::path& binary,
                                                         const VmConfig& config,
                                                         const QemuOptions& options,
                                                         const QemuPaths& paths, bool use_kvm);

}  // namespace aether::vmm
