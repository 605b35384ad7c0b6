// The runtime settings libs/vmm reads, declared on a config::Spec: one source of
// truth for --help, --check-config and runtime_options_from_env().
//
//   aether::config::Spec& spec = svc.spec();
//   aether::vmm::RuntimeConfigFields runtime_fields(spec);  // AETHER_RUNTIME, AETHER_QEMU_*, ...
//   ... spec.load() (Cli::parse, Service::run) ...
//   auto options = runtime_fields.options();  // RuntimeOptions; set .probe, then make_runtime()
//
// Variables: AETHER_RUNTIME (auto|firecracker|qemu), AETHER_QEMU_ACCEL (auto|kvm|tcg),
// AETHER_QEMU_BINARY, AETHER_QEMU_CPU, AETHER_VMM_USER (must name an existing user;
// empty: `nobody` when run as root; `root`: keep root), AETHER_FIRECRACKER_BINARY.
// Lifecycle/threads: like the Spec's fields: declare at start-up, read after load().
#pragma once

#include <sys/types.h>

#include <optional>

#include "aether/config/config.hpp"
#include "aether/vmm/runtime.hpp"

namespace aether::vmm {

class RuntimeConfigFields {
 public:
  explicit RuntimeConfigFields(config::Spec& spec);
  // After the Spec loaded: the options; `probe` is left unset (the caller knows the
  // guest image the KVM probe boots).
  [[nodiscard]] RuntimeOptions options() const;

 private:
  const config::ChoiceField& runtime_;
  const config::ChoiceField& accel_;
  const config::StringField& qemu_binary_;
  const config::StringField& qemu_cpu_;
  const config::StringField& vmm_user_;
  const config::StringField& firecracker_binary_;
};

// The same variables from `env` (an empty value counts as unset); errors name them.
[[nodiscard]] Result<RuntimeOptions> runtime_options_from(const config::EnvLookup& env);

// The uid the VMM runs as after start-up (QemuOptions::run_as), so files it must open
// (TAPs) can be given to it; nullopt when it keeps our user. Errc::kInvalidConfig when
// no such user exists.
[[nodiscard]] Result<std::optional<uid_t>> vmm_user_id(const QemuOptions& qemu);

}  // namespace aether::vmm
