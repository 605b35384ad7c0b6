// The KVM capability probe (shared by vm-worker and node-provisioner).
//
// /dev/kvm existing is not proof that KVM works: some nested/paravirtual hosts
// pass every cheap check and still never run a normal kernel. So: cheap checks
// first (open /dev/kvm, API version, create a VM and a vCPU, run a few 64-bit
// instructions to hlt, all in a child process under a timeout), then the
// decisive one: boot the real guest image under KVM and wait for the agent's
// Hello. The verdict is cached per host, keyed by host identity, kernel and
// initrd hashes, so it is paid once.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "aether/vmm/errors.hpp"

namespace aether::vmm {

struct KvmProbeOptions {
  std::filesystem::path kernel;
  std::filesystem::path initrd;
  std::filesystem::path cache_dir;  // where verdicts are kept; created
  std::filesystem::path work_dir;   // state dir for the probe VM; created
  std::string qemu_binary = "qemu-system-x86_64";
  std::string dev_kvm = "/dev/kvm";
  std::chrono::milliseconds cheap_timeout{5'000};
  std::chrono::milliseconds boot_timeout{10'000};
  bool use_cache = true;
};

struct KvmVerdict {
  bool usable = false;
  std::string reason;              // one line, e.g. "unusable: ..."
  std::vector<std::string> steps;  // each check and its outcome
  bool from_cache = false;
};

// Only the cheap checks (no guest image needed). Never hangs: runs in a child
// process killed after cheap_timeout.
[[nodiscard]] KvmVerdict probe_kvm_cheap(const KvmProbeOptions& options);

// Cheap checks, then the real boot under KVM; cached. Errors only for bad
// options (missing kernel/initrd).
[[nodiscard]] Result<KvmVerdict> probe_kvm(const KvmProbeOptions& options);

}  // namespace aether::vmm
