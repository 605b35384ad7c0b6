#include "worker_startup.hpp"

#include <filesystem>

#include "aether/vmm/runtime_config.hpp"

namespace aether::worker {

Result<vmm::RuntimeOptions> worker_runtime_options(vmm::RuntimeOptions options,
                                                   WorkerConfig& config) {
  auto uid = vmm::vmm_user_id(options.qemu);
  if (!uid) return fail(Errc::kInvalidConfig, uid.error().message);
  // The VMM opens its TAP; when it runs as another user, that user owns them.
  if (*uid) config.network.tap_owner = **uid;
  const auto def = config.templates.find("default");
  if (def == config.templates.end()) {
    return fail(Errc::kInvalidConfig, "no \"default\" template (AETHER_GUEST_DIR)");
  }
  options.probe = vmm::KvmProbeOptions{.kernel = def->second.kernel,
                                       .initrd = def->second.initrd,
                                       .cache_dir = config.state_dir / "probe-cache",
                                       .work_dir = config.state_dir / "probe",
                                       .qemu_binary = options.qemu.binary};
  return options;
}

std::vector<std::pair<std::string, http::ReadinessCheck>> worker_readiness_checks(
    std::shared_ptr<const Worker> worker) {
  std::vector<std::pair<std::string, http::ReadinessCheck>> checks;
  checks.emplace_back("worker", [worker]() -> http::CheckResult {
    if (worker->draining()) return std::unexpected("draining");
    if (!worker->ready()) return std::unexpected("not started");
    return {};
  });
  checks.emplace_back("runtime", [worker]() -> http::CheckResult {
    if (auto fault = worker->runtime_fault()) return std::unexpected("cannot boot VMs: " + *fault);
    return {};
  });
  checks.emplace_back("guest-image", [worker]() -> http::CheckResult {
    for (const auto& [name, t] : worker->config().templates) {
      std::error_code ec;
      if (!std::filesystem::exists(t.kernel, ec) || !std::filesystem::exists(t.initrd, ec)) {
        return std::unexpected("template " + name + ": " + t.kernel.string() + " or " +
                               t.initrd.string() + " is missing");
      }
      if (t.rootfs && !std::filesystem::exists(*t.rootfs, ec)) {
        return std::unexpected("template " + name + ": " + t.rootfs->string() + " is missing");
      }
    }
    return {};
  });
  return checks;
}

}  // namespace aether::worker
