// Choosing and building a Runtime: AETHER_RUNTIME=auto|firecracker|qemu.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "aether/vmm/kvm_probe.hpp"
#include "aether/vmm/vm.hpp"

namespace aether::vmm {

enum class RuntimeKind { kAuto, kFirecracker, kQemu };
enum class Accel { kAuto, kKvm, kTcg };

[[nodiscard]] Result<RuntimeKind> parse_runtime_kind(const std::string& value);  // AETHER_RUNTIME

struct QemuOptions {
  std::string binary = "qemu-system-x86_64";  // name on PATH or a path
  Accel accel = Accel::kAuto;                 // auto: KVM when the probe passes, else TCG
  // -cpu under KVM; empty: QEMU's default model. "host" is faster but some
  // nested hosts abort on it (unsupported MSRs), so it is opt-in.
  std::string kvm_cpu;
  std::string run_as;  // -runas USER when non-empty (the VMM drops root after start-up)
  // Makes each VM's qcow2 overlay on a VmConfig.rootfs (name on PATH or a path).
  std::string img_binary = "qemu-img";
};

struct FirecrackerOptions {
  std::string binary = "firecracker";
  unsigned vsock_port = 1024;  // the agent's vsock port
  unsigned guest_cid = 3;
};

struct RuntimeOptions {
  RuntimeKind kind = RuntimeKind::kAuto;
  QemuOptions qemu;
  FirecrackerOptions firecracker;
  // For Accel::kAuto / RuntimeKind::kAuto: how to probe KVM (needs the guest image).
  std::optional<KvmProbeOptions> probe;
};

// Reads AETHER_RUNTIME (default auto), AETHER_QEMU_BINARY, AETHER_QEMU_ACCEL
// (auto|kvm|tcg), AETHER_QEMU_CPU, AETHER_VMM_USER, AETHER_FIRECRACKER_BINARY into options; bad
// values are errors. The variables are declared once, in runtime_config.hpp
// (RuntimeConfigFields), which services put on their config::Spec.
[[nodiscard]] Result<RuntimeOptions> runtime_options_from_env();

// auto: Firecracker when its binary is found and KVM is usable, else QEMU
// (KVM or TCG per the probe; TCG is logged as a warning).
[[nodiscard]] Result<std::unique_ptr<Runtime>> make_runtime(const RuntimeOptions& options);

[[nodiscard]] std::unique_ptr<Runtime> make_qemu_runtime(QemuOptions options, bool use_kvm);
[[nodiscard]] std::unique_ptr<Runtime> make_firecracker_runtime(FirecrackerOptions options);

// Finds an executable by name on PATH (or checks a path); the error names it.
[[nodiscard]] Result<std::filesystem::path> find_executable(const std::string& name);

}  // namespace aether::vmm
