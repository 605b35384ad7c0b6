#include "hypervisor_check.hpp"

#include "aether/vmm/kvm_probe.hpp"
#include "aether/vmm/runtime.hpp"

namespace aether::provisioner {

HypervisorDecision check_hypervisor(const HypervisorCheckOptions& o) {
  HypervisorDecision d;
  d.kvm.name = "kvm";
  d.runtime.name = "runtime";
  d.kvm.required = !o.allow_emulation;

  vmm::KvmProbeOptions probe;
  probe.kernel = o.kernel;
  probe.initrd = o.initrd;
  probe.cache_dir = o.cache_dir;
  probe.work_dir = o.work_dir;
  probe.qemu_binary = o.qemu_binary;
  probe.dev_kvm = o.dev_kvm;
  probe.boot_timeout = o.boot_timeout;
  probe.use_cache = o.use_cache;
  const auto start = std::chrono::steady_clock::now();
  auto verdict = vmm::probe_kvm(probe);
  d.probe_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  d.kvm.duration = d.probe_time;
  if (!verdict) {
    d.kvm.result = CheckResult::kFail;
    d.kvm.reason = "cannot run the KVM probe: " + verdict.error().message;
  } else {
    d.probe_steps = verdict->steps;
    d.kvm_usable = verdict->usable;
    d.kvm.result = verdict->usable ? CheckResult::kPass : CheckResult::kFail;
    d.kvm.reason = verdict->reason;
    if (!verdict->steps.empty()) d.kvm.reason += " [" + verdict->steps.back() + "]";
    if (verdict->from_cache) d.kvm.reason += " (cached verdict)";
  }

  const bool have_qemu = vmm::find_executable(o.qemu_binary).has_value();
  const bool have_firecracker = vmm::find_executable(o.firecracker_binary).has_value();
  auto decide = [&](CheckResult result, std::string name, std::string reason) {
    d.runtime.result = result;
    d.runtime.reason = std::move(reason);
    d.usable = result != CheckResult::kFail;
    d.runtime_name = d.usable ? std::move(name) : "";
  };
  if (d.kvm_usable) {
    if (o.runtime != "qemu" && have_firecracker) {
      decide(CheckResult::kPass, "firecracker", "firecracker on KVM");
    } else if (o.runtime == "firecracker") {
      decide(CheckResult::kFail, "",
             "AETHER_RUNTIME=firecracker but '" + o.firecracker_binary + "' is not installed");
    } else if (have_qemu) {
      decide(CheckResult::kPass, "qemu", "qemu with KVM");
    } else {
      decide(CheckResult::kFail, "",
             "neither firecracker nor '" + o.qemu_binary + "' is installed");
    }
    return d;
  }
  if (!o.allow_emulation) {
    decide(CheckResult::kFail, "",
           "no usable KVM, and software emulation is not allowed (AETHER_ALLOW_EMULATION=false)");
  } else if (o.runtime == "firecracker") {
    decide(CheckResult::kFail, "", "AETHER_RUNTIME=firecracker needs KVM, which is unusable here");
  } else if (!have_qemu) {
    decide(CheckResult::kFail, "", "software emulation needs '" + o.qemu_binary + "', not found");
  } else {
    decide(CheckResult::kWarn, "qemu",
           "qemu with software emulation (TCG), allowed by AETHER_ALLOW_EMULATION=true: slow, "
           "for development and tests only");
  }
  return d;
}

}  // namespace aether::provisioner
