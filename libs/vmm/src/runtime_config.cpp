#include "aether/vmm/runtime_config.hpp"

#include <pwd.h>
#include <unistd.h>

namespace aether::vmm {
namespace {

std::optional<std::string> no_such_user(const std::string& user) {
  if (user.empty() || user == "root") return std::nullopt;
  if (::getpwnam(user.c_str()) == nullptr) return "no such user on this host";
  return std::nullopt;
}

}  // namespace

RuntimeConfigFields::RuntimeConfigFields(config::Spec& spec)
    : runtime_(spec.choice("AETHER_RUNTIME", "auto", {"auto", "firecracker", "qemu"},
                           "hypervisor: auto probes KVM and picks")),
      accel_(spec.choice("AETHER_QEMU_ACCEL", "auto", {"auto", "kvm", "tcg"},
                         "QEMU acceleration (auto: KVM when the probe boots the guest)")),
      qemu_binary_(
          spec.string("AETHER_QEMU_BINARY", "qemu-system-x86_64", "QEMU binary").non_empty()),
      qemu_cpu_(
          spec.string("AETHER_QEMU_CPU", "", "QEMU -cpu model under KVM (empty: QEMU's default)")),
      vmm_user_(spec.string("AETHER_VMM_USER", "",
                            "user the VMM drops to after start-up (empty: nobody when run as "
                            "root; root: keep root)")
                    .check(no_such_user)),
      firecracker_binary_(
          spec.string("AETHER_FIRECRACKER_BINARY", "firecracker", "Firecracker binary")
              .non_empty()) {}

RuntimeOptions RuntimeConfigFields::options() const {
  RuntimeOptions options;
  // The choices are checked by the Spec, so parsing cannot fail here.
  options.kind = parse_runtime_kind(runtime_.value()).value_or(RuntimeKind::kAuto);
  const std::string& accel = accel_.value();
  options.qemu.accel = accel == "kvm" ? Accel::kKvm : accel == "tcg" ? Accel::kTcg : Accel::kAuto;
  options.qemu.binary = qemu_binary_.value();
  options.qemu.kvm_cpu = qemu_cpu_.value();
  // Unprivileged where possible: as root, QEMU drops to `nobody` after start-up
  // unless AETHER_VMM_USER names another user (or "root" to keep root).
  options.qemu.run_as = vmm_user_.value();
  if (options.qemu.run_as.empty() && ::geteuid() == 0) options.qemu.run_as = "nobody";
  if (options.qemu.run_as == "root") options.qemu.run_as.clear();
  options.firecracker.binary = firecracker_binary_.value();
  return options;
}

Result<RuntimeOptions> runtime_options_from(const config::EnvLookup& env) {
  config::Spec spec("libs/vmm", "runtime settings");
  RuntimeConfigFields fields(spec);
  auto unset_if_empty = [&env](const std::string& name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  };
  if (auto loaded = spec.load(unset_if_empty); !loaded) {
    return std::unexpected(Error{Errc::kInvalidConfig, loaded.error().message});
  }
  return fields.options();
}

Result<RuntimeOptions> runtime_options_from_env() {
  return runtime_options_from(config::process_env());
}

Result<std::optional<uid_t>> vmm_user_id(const QemuOptions& qemu) {
  if (qemu.run_as.empty()) return std::optional<uid_t>{};
  const passwd* user = ::getpwnam(qemu.run_as.c_str());
  if (user == nullptr) {
    return std::unexpected(
        Error{Errc::kInvalidConfig, "AETHER_VMM_USER: no such user '" + qemu.run_as + "'"});
  }
  return std::optional<uid_t>{user->pw_uid};
}

}  // namespace aether::vmm
