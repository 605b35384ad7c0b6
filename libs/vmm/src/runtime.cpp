#include "aether/vmm/runtime.hpp"

#include <unistd.h>

#include <cstdlib>
#include <regex>

#include <spdlog/spdlog.h>

#include "aether/process/process.hpp"

namespace aether::vmm {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::kInvalidConfig:
      return "invalid_config";
    case Errc::kMissingFile:
      return "missing_file";
    case Errc::kSpawn:
      return "spawn";
    case Errc::kBootTimeout:
      return "boot_timeout";
    case Errc::kProtocol:
      return "protocol";
    case Errc::kTimeout:
      return "timeout";
    case Errc::kGuestError:
      return "guest_error";
    case Errc::kVmDead:
      return "vm_dead";
    case Errc::kUnsupported:
      return "unsupported";
    case Errc::kIo:
      return "io";
  }
  return "unknown";
}

Result<void> validate(const VmConfig& config) {
  static const std::regex kId("[A-Za-z0-9_.-]{1,64}");
  auto bad = [](std::string message) {
    return std::unexpected(Error{Errc::kInvalidConfig, std::move(message)});
  };
  if (!std::regex_match(config.id, kId)) {
    return bad("VmConfig.id must match [A-Za-z0-9_.-]{1,64}, got '" + config.id + "'");
  }
  if (config.state_dir.empty()) return bad("VmConfig.state_dir must be set");
  if (config.vcpus < 1 || config.vcpus > 32) {
    return bad("VmConfig.vcpus must be 1..32, got " + std::to_string(config.vcpus));
  }
  if (config.memory_mib < 64 || config.memory_mib > 65536) {
    return bad("VmConfig.memory_mib must be 64..65536, got " + std::to_string(config.memory_mib));
  }
  if (config.boot_timeout.count() <= 0 || config.request_timeout.count() <= 0) {
    return bad("VmConfig.boot_timeout and request_timeout must be positive");
  }
  if (config.extra_cmdline.find('\n') != std::string::npos) {
    return bad("VmConfig.extra_cmdline must be one line");
  }
  if ((config.guest_mac || config.guest_net) && !config.tap_device) {
    return bad("VmConfig.guest_mac and guest_net need tap_device");
  }
  if (config.tap_device &&
      !std::regex_match(*config.tap_device, std::regex("[A-Za-z0-9_.-]{1,15}"))) {
    return bad("VmConfig.tap_device must be 1-15 characters of [A-Za-z0-9_.-], got '" +
               *config.tap_device + "'");
  }
  static const std::regex kMac("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
  if (config.guest_mac && !std::regex_match(*config.guest_mac, kMac)) {
    return bad("VmConfig.guest_mac must be six lower-case hex pairs joined by ':', got '" +
               *config.guest_mac + "'");
  }
  static const std::regex kNet(
      "[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2},[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  if (config.guest_net && !std::regex_match(*config.guest_net, kNet)) {
    return bad("VmConfig.guest_net must be ADDRESS/PREFIX,GATEWAY (IPv4), got '" +
               *config.guest_net + "'");
  }
  auto must_exist = [](const std::filesystem::path& path, const char* field) -> Result<void> {
    std::error_code ec;
    if (path.empty() || !std::filesystem::is_regular_file(path, ec)) {
      return std::unexpected(
          Error{Errc::kMissingFile,
                std::string("VmConfig.") + field + ": no such file: '" + path.string() + "'"});
    }
    return {};
  };
  if (auto ok = must_exist(config.kernel, "kernel"); !ok) return ok;
  if (auto ok = must_exist(config.initrd, "initrd"); !ok) return ok;
  if (config.rootfs) {
    if (auto ok = must_exist(*config.rootfs, "rootfs"); !ok) return ok;
  }
  return {};
}

Result<std::filesystem::path> find_executable(const std::string& name) {
  if (name.empty()) return std::unexpected(Error{Errc::kInvalidConfig, "VMM binary name is empty"});
  auto found = process::find_program({name});
  if (!found) {
    return std::unexpected(
        Error{Errc::kMissingFile, "VMM binary '" + name + "': " + found.error().message});
  }
  return std::filesystem::path(*found);
}

Result<RuntimeKind> parse_runtime_kind(const std::string& value) {
  if (value.empty() || value == "auto") return RuntimeKind::kAuto;
  if (value == "qemu") return RuntimeKind::kQemu;
  if (value == "firecracker") return RuntimeKind::kFirecracker;
  return std::unexpected(Error{
      Errc::kInvalidConfig, "AETHER_RUNTIME must be auto|firecracker|qemu, got '" + value + "'"});
}

// runtime_options_from_env(): runtime_config.cpp (declared with the Spec fields).

Result<std::unique_ptr<Runtime>> make_runtime(const RuntimeOptions& options) {
  const bool need_probe = options.kind != RuntimeKind::kQemu || options.qemu.accel == Accel::kAuto;
  std::optional<KvmVerdict> verdict;
  if (need_probe && options.kind != RuntimeKind::kFirecracker) {
    if (!options.probe) {
      return std::unexpected(Error{Errc::kInvalidConfig,
                                   "RuntimeOptions.probe must be set for auto runtime/accel (the "
                                   "KVM probe boots the guest image)"});
    }
    auto probed = probe_kvm(*options.probe);
    if (!probed) return std::unexpected(probed.error());
    verdict = *probed;
  }
  if (options.kind == RuntimeKind::kFirecracker) {
    return make_firecracker_runtime(options.firecracker);
  }
  if (options.kind == RuntimeKind::kAuto && verdict && verdict->usable &&
      find_executable(options.firecracker.binary)) {
    spdlog::info("vmm: runtime firecracker (KVM usable: {})", verdict->reason);
    return make_firecracker_runtime(options.firecracker);
  }
  bool use_kvm = options.qemu.accel == Accel::kKvm;
  if (options.qemu.accel == Accel::kAuto) use_kvm = verdict && verdict->usable;
  if (!use_kvm) {
    spdlog::warn("vmm: using QEMU with software emulation (TCG), which is slow: {}",
                 verdict ? verdict->reason : "AETHER_QEMU_ACCEL=tcg");
  }
  return make_qemu_runtime(options.qemu, use_kvm);
}

}  // namespace aether::vmm
