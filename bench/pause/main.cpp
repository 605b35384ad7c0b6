// aether-bench-pause: how long Vm::pause() and Runtime::resume() take against
// the VM's memory size, measured in one run. For each size the default guest
// (kernel + initramfs) boots (its boot time is the baseline), fills a quarter of its
// memory with random data in its RAM file system (so the state is not mostly
// zero pages, which QEMU skips), is paused (memory+device state to a file,
// the VMM ends) and resumed (QEMU -incoming from that file, to the agent's
// Hello); a file is checked after the resume.
// Usage: aether-bench-pause [GUEST_DIR=build/guest] [SIZES_MIB=128,256,512].
// TCG unless AETHER_QEMU_ACCEL=kvm.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "aether/vmm/runtime.hpp"

using namespace aether;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

// Thrown, not exit(): the VMs in scope are destroyed (their QEMU ends) and the
// temp dir removed before main returns 1.
[[noreturn]] void die(const std::string& what) { throw std::runtime_error(what); }

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string run(vmm::Vm& vm, const std::string& script) {
  v1::ExecRequest r;
  for (const char* a : {"sh", "-c"}) r.add_argv(a);
  r.add_argv(script);
  r.set_timeout_ms(600'000);
  auto reply = vm.exec(r);
  if (!reply) die("exec: " + reply.error().message);
  if (reply->exit_code() != 0) die("exec '" + script + "': " + reply->stderr());
  return reply->stdout();
}

}  // namespace

int bench(int argc, char** argv) {
  const fs::path guest = argc > 1 ? argv[1] : "build/guest";
  std::vector<unsigned> sizes;
  {
    std::stringstream list(argc > 2 ? argv[2] : "128,256,512");
    for (std::string item; std::getline(list, item, ',');) sizes.push_back(std::stoul(item));
  }
  const bool kvm =
      std::getenv("AETHER_QEMU_ACCEL") && std::string(std::getenv("AETHER_QEMU_ACCEL")) == "kvm";
  char tmpl[] = "/tmp/bench_pause.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) die("mkdtemp");
  const fs::path root = tmpl;
  struct RemoveDir {  // declared before the VMs: removed after they are gone
    fs::path path;
    ~RemoveDir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } cleanup{root};
  auto runtime = vmm::make_qemu_runtime({}, kvm);
  std::printf("pause and resume against memory size (%s)\n", runtime->name().data());
  std::printf("  %8s %10s %10s %10s %12s %10s\n", "MiB", "boot ms", "pause ms", "resume ms",
              "state MiB", "MiB/s");
  for (unsigned mib : sizes) {
    vmm::VmConfig config;
    config.id = "pause-" + std::to_string(mib);
    config.state_dir = root / config.id;
    config.kernel = guest / "vmlinux";
    config.initrd = guest / "initramfs.cpio";
    config.memory_mib = mib;
    config.boot_timeout = std::chrono::minutes(3);
    config.request_timeout = std::chrono::minutes(2);
    auto booted = runtime->boot(config);
    if (!booted) die("boot: " + booted.error().message);
    const double boot = static_cast<double>((*booted)->boot_time().count()) / 1000.0;
    run(**booted, "dd if=/dev/urandom of=/tmp/fill bs=1048576 count=" + std::to_string(mib / 4) +
                      " 2>/dev/null && echo x > /tmp/mark");
    auto t = Clock::now();
    if (auto p = (*booted)->pause(); !p) die("pause: " + p.error().message);
    const double pause = ms_since(t);
    const double state =
        static_cast<double>(fs::file_size(vmm::paused_dir(config.state_dir) / "memory.bin")) /
        (1 << 20);
    t = Clock::now();
    auto resumed = runtime->resume(config);
    if (!resumed) die("resume: " + resumed.error().message);
    const double resume = ms_since(t);
    if (run(**resumed, "cat /tmp/mark") != "x\n") die("the file written before the pause is gone");
    (*resumed)->kill();
    std::printf("  %8u %10.0f %10.0f %10.0f %12.1f %10.0f\n", mib, boot, pause, resume, state,
                state / (pause / 1000.0));
    std::printf(
        "BENCH figure=pause.pause_%umib value=%.1f unit=ms baseline=%.1f baseline_of=cold_boot "
        "better=lower\n",
        mib, pause, boot);
    std::printf(
        "BENCH figure=pause.resume_%umib value=%.1f unit=ms baseline=%.1f baseline_of=cold_boot "
        "better=lower\n",
        mib, resume, boot);
  }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return bench(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aether-bench-pause: %s\n", e.what());
    return 1;
  }
}
