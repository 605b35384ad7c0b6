// The decisive check: is there a hypervisor this node can run the guest with?
// Runs libs/vmm's probe_kvm() (cheap checks, then the real guest booted under
// KVM with a timeout; verdict cached per host and image) and picks the
// runtime: firecracker when KVM works and its binary is there (unless
// AETHER_RUNTIME=qemu), else qemu; qemu with software emulation (TCG) only
// when emulation is allowed.
//
// Threads: one probe at a time per options' work_dir (the caller serialises).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "report.hpp"

namespace aether::provisioner {

struct HypervisorCheckOptions {
  std::filesystem::path kernel;  // the installed guest vmlinux
  std::filesystem::path initrd;  // the installed guest initramfs
  std::filesystem::path cache_dir;
  std::filesystem::path work_dir;
  std::string runtime = "auto";  // auto | firecracker | qemu (AETHER_RUNTIME)
  std::string qemu_binary = "qemu-system-x86_64";
  std::string firecracker_binary = "firecracker";
  std::string dev_kvm = "/dev/kvm";
  std::chrono::milliseconds boot_timeout{10'000};
  bool allow_emulation = false;  // AETHER_ALLOW_EMULATION
  bool use_cache = true;
};

struct HypervisorDecision {
  Check kvm;      // the probe's verdict (required unless emulation is allowed)
  Check runtime;  // which runtime this node can run, or why none
  bool kvm_usable = false;
  bool usable = false;
  std::string runtime_name;  // "firecracker" | "qemu" | ""
  std::vector<std::string> probe_steps;
  std::chrono::milliseconds probe_time{0};  // wall time of probe_kvm()
};

[[nodiscard]] HypervisorDecision check_hypervisor(const HypervisorCheckOptions& options);

}  // namespace aether::provisioner
