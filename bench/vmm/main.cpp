// aether-bench-vmm: what libs/vmm costs on top of the VMM itself.
//  1. boot to agent ready through libs/vmm vs the same QEMU command line
//     launched by hand (listen, spawn, read the Hello frame): ratio = our overhead;
//  2. exec round trip of `true` vs a Ping round trip on the same VM;
//  3. host RSS of the VMM process per VM vs the guest memory it was given.
// Usage: aether-bench-vmm [guest_dir] [boots]; guest_dir defaults to
// $AETHER_GUEST_DIR. Uses TCG unless AETHER_QEMU_ACCEL=kvm.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "aether/guest_proto/channel.hpp"
#include "aether/vmm/runtime.hpp"
#include "qemu_command.hpp"
#include "vmm_process_vm.hpp"

using namespace aether;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

long rss_kib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// The baseline: the identical QEMU command, with the least code that can tell
// the agent is ready (accept the chardev, read one frame).
double boot_by_hand(const vmm::VmConfig& config, bool kvm) {
  std::filesystem::create_directories(config.state_dir);
  const auto paths = vmm::qemu_paths(config);
  std::filesystem::remove(paths.agent_socket);
  std::filesystem::remove(paths.qmp_socket);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, paths.agent_socket.c_str());
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0) {
    std::perror("bind");
    std::exit(1);
  }
  const auto start = Clock::now();
  auto child = vmm::spawn_vmm(
      vmm::qemu_command_line("/usr/bin/qemu-system-x86_64", config, vmm::QemuOptions{}, paths, kvm),
      paths.vmm_log);
  if (!child) {
    std::fprintf(stderr, "spawn: %s\n", child.error().message.c_str());
    std::exit(1);
  }
  pollfd pfd{listener, POLLIN, 0};
  ::poll(&pfd, 1, 120'000);
  const int fd = ::accept(listener, nullptr, nullptr);
  guest_proto::FrameReader reader(fd);
  auto hello = reader.read(guest_proto::Clock::now() + std::chrono::minutes(2));
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!hello) {
    std::fprintf(stderr, "by hand: %s\n", hello.error().message.c_str());
    std::exit(1);
  }
  child->kill();
  ::close(fd);
  ::close(listener);
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env_dir = std::getenv("AETHER_GUEST_DIR");
  const std::filesystem::path guest = argc > 1 ? argv[1] : (env_dir ? env_dir : "build/guest");
  const int boots = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  const char* accel = std::getenv("AETHER_QEMU_ACCEL");
  const bool kvm = accel != nullptr && std::string(accel) == "kvm";
  char tmpl[] = "/tmp/bench_vmm.XXXXXX";
  const std::filesystem::path root = ::mkdtemp(tmpl);
  auto config_for = [&](const std::string& id) {
    vmm::VmConfig config;
    config.id = id;
    config.state_dir = root / id;
    config.kernel = guest / "vmlinux";
    config.initrd = guest / "initramfs.cpio";
    config.boot_timeout = std::chrono::minutes(2);
    return config;
  };
  auto runtime = vmm::make_qemu_runtime(vmm::QemuOptions{}, kvm);

  std::vector<double> ours, by_hand, rss, exec_us, ping_us;
  for (int i = 0; i < boots; ++i) {
    by_hand.push_back(boot_by_hand(config_for("hand" + std::to_string(i)), kvm));
    const auto start = Clock::now();
    auto vm = runtime->boot(config_for("vmm" + std::to_string(i)));
    if (!vm) {
      std::fprintf(stderr, "boot: %s\n", vm.error().message.c_str());
      return 1;
    }
    ours.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    rss.push_back(static_cast<double>(rss_kib((*vm)->vmm_pid())));
    if (i == 0) {
      v1::ExecRequest request;
      request.add_argv("true");
      for (int n = 0; n < 30; ++n) {
        auto t0 = Clock::now();
        if (!(*vm)->exec(request)) return 1;
        exec_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        auto rtt = (*vm)->ping();
        if (!rtt) return 1;
        ping_us.push_back(static_cast<double>(rtt->count()));
      }
    }
    (void)(*vm)->shutdown();
  }
  std::filesystem::remove_all(root);

  const double boot_ours = median(ours), boot_hand = median(by_hand);
  std::printf("accel: %s, boots: %d (medians)\n", kvm ? "kvm" : "tcg", boots);
  std::printf("boot to agent ready: libs/vmm %.0f ms, same qemu by hand %.0f ms, ratio %.3f\n",
              boot_ours, boot_hand, boot_ours / boot_hand);
  std::printf("exec `true` round trip: %.0f us, ping round trip %.0f us, ratio %.2f\n",
              median(exec_us), median(ping_us), median(exec_us) / median(ping_us));
  std::printf("VMM RSS per VM: %.0f MiB for a %u MiB guest, ratio %.2f\n", median(rss) / 1024,
              config_for("x").memory_mib, median(rss) / 1024 / config_for("x").memory_mib);
  std::printf(
      "BENCH figure=vmm.boot_to_ready value=%.0f unit=ms baseline=%.0f "
      "baseline_of=qemu_by_hand better=lower\n",
      boot_ours, boot_hand);
  std::printf(
      "BENCH figure=vmm.exec_round_trip value=%.0f unit=us baseline=%.0f "
      "baseline_of=agent_ping better=lower\n",
      median(exec_us), median(ping_us));
  std::printf(
      "BENCH figure=vmm.rss_per_vm value=%.0f unit=MiB baseline=%u "
      "baseline_of=guest_memory better=lower\n",
      median(rss) / 1024, config_for("x").memory_mib);
  return 0;
}
