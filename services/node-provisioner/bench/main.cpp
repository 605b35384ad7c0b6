// aether-bench-node-provisioner [guest_dir]: the wall time of one `--once`
// round on this machine, split by check, with a fresh probe cache and with a
// cached verdict, beside the baseline measured in the same run: one boot of
// the same guest to the agent's Hello under software emulation (TCG), the
// boot the probe would have to see under KVM.
#include <stdlib.h>

#include <cstdio>
#include <filesystem>

#include "aether/http/metrics.hpp"
#include "aether/log/log.hpp"
#include "aether/vmm/runtime.hpp"
#include "provisioner.hpp"

using namespace aether;
using namespace aether::provisioner;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {
double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}
}  // namespace

int main(int argc, char** argv) {
  log::init({.service = "aether-bench-node-provisioner",
             .format = log::Format::kText,
             .level = spdlog::level::warn});
  const fs::path guest = argc > 1 ? fs::path(argv[1]) : fs::path("build/guest");
  std::string tmpl = (fs::temp_directory_path() / "np-bench-XXXXXX").string();
  const fs::path root = ::mkdtemp(tmpl.data());

  // Baseline: the guest booted under TCG to the agent's Hello.
  vmm::VmConfig vm;
  vm.id = "bench-tcg";
  vm.state_dir = root / "tcg";
  vm.kernel = guest / "vmlinux";
  vm.initrd = guest / "initramfs.cpio";
  vm.boot_timeout = std::chrono::seconds(120);
  auto runtime = vmm::make_qemu_runtime({}, false);
  const auto boot_start = Clock::now();
  auto booted = runtime->boot(vm);
  const double boot_ms = ms_since(boot_start);
  if (!booted) {
    std::fprintf(stderr, "baseline boot failed: %s\n", booted.error().message.c_str());
    return 1;
  }
  (void)(*booted)->shutdown(std::chrono::seconds(5));

  http::Registry registry;
  for (const bool cached : {false, true}) {
    ProvisionerConfig c;
    c.node = "bench";
    c.asset_dir = root / "assets";
    c.guest_source_dir = guest;
    c.hypervisor.allow_emulation = true;
    c.hypervisor.cache_dir = root / "probe-cache";
    Provisioner p(c, registry);
    const auto start = Clock::now();
    const NodeReport r = p.run();
    const double total = ms_since(start);
    std::printf("--once round (%s probe cache, assets %s): %.0f ms, state %s, runtime %s\n",
                cached ? "warm" : "cold",
                p.last_install().bytes_copied() ? "copied" : "already current", total,
                node_state_name(r.state()), r.runtime.c_str());
    for (const auto& check : r.checks) {
      std::printf("  %-22s %-4s %6lld ms  %s\n", check.name.c_str(),
                  check_result_name(check.result), static_cast<long long>(check.duration.count()),
                  check.reason.substr(0, 90).c_str());
    }
    std::printf("  KVM probe %lld ms vs TCG guest boot %.0f ms (baseline, same run): ratio %.2f\n",
                static_cast<long long>(p.last_hypervisor().probe_time.count()), boot_ms,
                static_cast<double>(p.last_hypervisor().probe_time.count()) / boot_ms);
    std::printf("  whole round vs TCG guest boot: ratio %.2f\n", total / boot_ms);
    // Machine-readable line for `make bench` (tools/bench-report/README.md).
    std::printf(
        "BENCH figure=node_provisioner.round_%s value=%.0f unit=ms baseline=%.0f "
        "baseline_of=tcg_guest_boot better=lower\n",
        cached ? "warm" : "cold", total, boot_ms);
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  return 0;
}
