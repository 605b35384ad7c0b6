// aether-bench-templates: what templates, the shared base and snapshots buy,
// measured in one run on one template (tools/guest/build-template.sh output):
//  1. ready time: cold boot (Runtime::boot to the agent's Hello, baseline),
//     restore from a snapshot (Runtime::restore to the Hello answering
//     Restored), and a warm VM (a booted VM handed over: one ping round trip,
//     what a warm-pool hit costs at the VM layer);
//  2. disk: N VMs restored at once, each writing 1 MiB, as the shared base
//     plus the snapshot's disk layer and N qcow2 overlays, vs N sparse copies
//     of the base (its allocated blocks + the 1 MiB written, × N); allocated
//     bytes (du), not apparent sizes.
// Usage: aether-bench-templates TEMPLATE_DIR [vms=10] [rounds=3]. TCG unless
// AETHER_QEMU_ACCEL=kvm.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "aether/vmm/runtime.hpp"

using namespace aether;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Allocated bytes of a file or a directory tree (st_blocks, as du does).
std::uint64_t allocated(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  std::uint64_t total = static_cast<std::uint64_t>(st.st_blocks) * 512;
  if (fs::is_directory(p)) {
    for (const auto& e : fs::recursive_directory_iterator(p)) {
      if (::lstat(e.path().c_str(), &st) == 0 && !e.is_directory()) {
        total += static_cast<std::uint64_t>(st.st_blocks) * 512;
      }
    }
  }
  return total;
}

double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "aether-bench-templates: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: aether-bench-templates TEMPLATE_DIR [vms=10] [rounds=3]");
  const fs::path dir = argv[1];
  const int vms = argc > 2 ? std::atoi(argv[2]) : 10;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
  const bool kvm =
      std::getenv("AETHER_QEMU_ACCEL") && std::string(std::getenv("AETHER_QEMU_ACCEL")) == "kvm";
  char tmpl[] = "/tmp/bench_tpl.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) die("mkdtemp");
  const fs::path root = tmpl;
  auto config_of = [&](const std::string& id) {
    vmm::VmConfig c;
    c.id = id;
    c.state_dir = root / id;
    c.kernel = dir / "vmlinux";
    c.initrd = dir / "initramfs.cpio";
    c.rootfs = dir / "rootfs.ext4";
    c.memory_mib = 256;
    c.boot_timeout = std::chrono::minutes(3);
    return c;
  };
  auto runtime = vmm::make_qemu_runtime({}, kvm);
  v1::ExecRequest write_mib;
  for (const char* a : {"sh", "-c", "head -c 1048576 /dev/urandom > /srv/app/blob && sync"}) {
    write_mib.add_argv(a);
  }
  write_mib.set_timeout_ms(120'000);

  // 1. Ready times, interleaved per round so both see the same machine.
  std::vector<double> cold, restored, warm;
  const fs::path snapshot = root / "snapshot";
  for (int r = 0; r < rounds; ++r) {
    auto booted = runtime->boot(config_of("cold-" + std::to_string(r)));
    if (!booted) die("boot: " + booted.error().message);
    cold.push_back(static_cast<double>((*booted)->boot_time().count()) / 1000.0);
    auto ping = (*booted)->ping();
    if (!ping) die("ping: " + ping.error().message);
    warm.push_back(static_cast<double>(ping->count()) / 1000.0);
    if (r == 0) {
      if (auto s = (*booted)->snapshot(snapshot); !s) die("snapshot: " + s.error().message);
    } else {
      (*booted)->kill();
    }
    auto back = runtime->restore(config_of("restore-" + std::to_string(r)), snapshot);
    if (!back) die("restore: " + back.error().message);
    restored.push_back(static_cast<double>((*back)->boot_time().count()) / 1000.0);
    (*back)->kill();
  }
  const double c = median(cold), s = median(restored), w = median(warm);
  std::printf("ready time, median of %d (%s)\n", rounds, runtime->name().data());
  std::printf("  cold boot (baseline)        %9.1f ms\n", c);
  std::printf("  restore from snapshot       %9.1f ms   x%.3f of cold\n", s, s / c);
  std::printf("  warm VM (ping, pool hit)    %9.3f ms   x%.5f of cold\n", w, w / c);
  std::printf("  snapshot size: memory %.1f MiB, disk layer %.1f MiB\n",
              mib(allocated(snapshot / "memory.bin")), mib(allocated(snapshot / "disk.qcow2")));

  // 2. Disk of N VMs: restored two at a time, each writes 1 MiB; all alive at once.
  std::vector<std::unique_ptr<vmm::Vm>> alive;
  for (int i = 0; i < vms; i += 2) {
    std::vector<std::future<vmm::Result<std::unique_ptr<vmm::Vm>>>> batch;
    for (int j = i; j < std::min(vms, i + 2); ++j) {
      batch.push_back(std::async(std::launch::async, [&, j] {
        return runtime->restore(config_of("disk-" + std::to_string(j)), snapshot);
      }));
    }
    for (auto& f : batch) {
      auto vm = f.get();
      if (!vm) die("restore: " + vm.error().message);
      auto wrote = (*vm)->exec(write_mib);
      if (!wrote || wrote->exit_code() != 0) die("write in the guest failed");
      alive.push_back(std::move(*vm));
    }
  }
  std::uint64_t layers = 0;
  for (int j = 0; j < vms; ++j)
    layers += allocated(root / ("disk-" + std::to_string(j)) / "rootfs.qcow2");
  const std::uint64_t base = allocated(dir / "rootfs.ext4");
  const std::uint64_t snap_disk = allocated(snapshot / "disk.qcow2");
  // A per-VM copy (sparse, cp --sparse=always) allocates what the base does,
  // plus the VM's own writes.
  const std::uint64_t one_copy = base + (1u << 20);
  const double shared = mib(base + snap_disk + layers);
  const double copies = mib(one_copy) * vms;
  std::printf("disk of %d VMs, each wrote 1 MiB\n", vms);
  std::printf("  one copy of the base each   %9.1f MiB (baseline: %d x %.1f MiB)\n", copies, vms,
              mib(one_copy));
  std::printf(
      "  shared base + overlays      %9.1f MiB   x%.3f of copies (base %.1f, snapshot "
      "layer %.1f, %d overlays %.1f)\n",
      shared, shared / copies, mib(base), mib(snap_disk), vms, mib(layers));
  for (auto& vm : alive) vm->kill();
  fs::remove_all(root);
  // For make bench (tools/bench-report): each figure beside its baseline of this run.
  std::printf(
      "BENCH figure=templates.ready_from_snapshot value=%.1f unit=ms baseline=%.1f "
      "baseline_of=cold_boot better=lower\n",
      s, c);
  std::printf(
      "BENCH figure=templates.ready_warm value=%.3f unit=ms baseline=%.1f "
      "baseline_of=cold_boot better=lower\n",
      w, c);
  std::printf(
      "BENCH figure=templates.disk_%d_vms value=%.1f unit=MiB baseline=%.1f "
      "baseline_of=sparse_copies better=lower\n",
      vms, shared, copies);
  return 0;
}
