// The vmm::VmConfig of a VM of `spec` on this worker (its template's files,
// size, boot timeout and exec limits).
#pragma once

#include <filesystem>
#include <string>

#include "aether/v1/vm.pb.h"
#include "aether/vmm/runtime.hpp"
#include "worker_config.hpp"

namespace aether::worker {

[[nodiscard]] inline vmm::VmConfig make_vm_config(const WorkerConfig& config, const std::string& id,
                                                  const std::filesystem::path& dir,
                                                  const v1::VmSpec& spec) {
  const auto& t = config.templates.at(spec.template_());
  vmm::VmConfig c;
  c.id = id;
  c.state_dir = dir;
  c.kernel = t.kernel;
  c.initrd = t.initrd;
  c.rootfs = t.rootfs;  // a container-image template: the VM's overlay goes on this base
  c.vcpus = spec.vcpus();
  c.memory_mib = spec.memory_mib();
  c.boot_timeout = config.boot_timeout;
  c.default_exec_timeout = config.limits.default_exec_timeout;
  c.max_collected_output = config.limits.max_file_bytes;
  return c;
}

}  // namespace aether::worker
