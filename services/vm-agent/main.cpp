// aether-vm-agent: PID 1 inside each microVM (see README.md). Wiring only:
// prepare the guest, open the host channel, serve, power off.
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <thread>

#include "agent.hpp"
#include "guest_init.hpp"
#include "guest_net.hpp"
#include "image_defaults.hpp"

#ifndef AETHER_VERSION
#define AETHER_VERSION "dev"
#endif

namespace {

using namespace aether::vm_agent;

constexpr const char* kPortName = "aether.agent";
constexpr unsigned kDefaultVsockPort = 1024;

int connect_unix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd < 0 || path.size() >= sizeof addr.sun_path) return -1;
  std::strcpy(addr.sun_path, path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Config {
  std::string mode = "normal";
  bool reboot_to_stop = false;  // Firecracker has no ACPI power-off: a reboot ends it
  unsigned vsock_port = kDefaultVsockPort;
};

// Kernel command line words aether.agent.mode= and aether.agent.vsock_port=.
bool parse_config(const std::map<std::string, std::string>& cmdline, Config& config,
                  std::string& problem) {
  if (auto it = cmdline.find("aether.agent.mode"); it != cmdline.end()) {
    if (it->second != "normal" && it->second != "garbage" && it->second != "oversized" &&
        it->second != "silent" && it->second != "truncated") {
      problem = "aether.agent.mode must be normal|garbage|oversized|silent|truncated, got '" +
                it->second + "'";
      return false;
    }
    config.mode = it->second;
  }
  if (auto it = cmdline.find("aether.agent.stop"); it != cmdline.end()) {
    if (it->second != "poweroff" && it->second != "reboot") {
      problem = "aether.agent.stop must be poweroff|reboot, got '" + it->second + "'";
      return false;
    }
    config.reboot_to_stop = it->second == "reboot";
  }
  if (auto it = cmdline.find("aether.agent.vsock_port"); it != cmdline.end()) {
    char* end = nullptr;
    const unsigned long port = std::strtoul(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || port == 0 || port > 0xffffffffUL) {
      problem = "aether.agent.vsock_port must be a port number, got '" + it->second + "'";
      return false;
    }
    config.vsock_port = static_cast<unsigned>(port);
  }
  return true;
}

[[noreturn]] void power_off(bool reboot_to_stop = false) {
  ::sync();
  if (!reboot_to_stop) ::reboot(RB_POWER_OFF);
  // Without ACPI power-off, a reboot ends the VM (the VMM runs with -no-reboot).
  ::reboot(RB_AUTOBOOT);
  for (;;) ::pause();
}

int run_pid1() {
  mount_kernel_filesystems();
  auto cmdline = read_kernel_cmdline();
  Config config;
  std::string problem;
  if (!parse_config(cmdline, config, problem)) console_log(problem + "; using mode normal");
  for (const auto& name : load_modules("/lib/modules/load.list", cmdline)) {
    console_log("module " + name + " did not load");
  }
  // aether.net= (the host gave the VM a network): eth0 up before Hello, so the
  // first command can use it. A bad value is logged; the agent serves anyway.
  if (auto net = cmdline.find("aether.net"); net != cmdline.end()) {
    std::string net_problem;
    auto parsed = parse_guest_net(net->second, net_problem);
    if (parsed && configure_guest_net("eth0", *parsed, std::chrono::seconds(5), net_problem)) {
      console_log("eth0 " + format_guest_net(*parsed));
    } else {
      console_log(net_problem + "; eth0 left unconfigured");
    }
  }
  AgentOptions options{.pid1 = true, .version = AETHER_VERSION, .mode = config.mode};
  // root=/dev/vda (set by the VMM when it attaches a root filesystem): run
  // commands inside it; the agent itself stays in the initramfs.
  if (auto root = cmdline.find("root"); root != cmdline.end() && root->second == "/dev/vda") {
    options.exec_root = mount_root_filesystem("/dev/vda", "/rootfs", std::chrono::seconds(10));
    // A template made from a container image: its env, workdir and user.
    if (!options.exec_root.empty()) {
      std::vector<std::string> problems;
      options.image_defaults = load_image_defaults(options.exec_root, problems);
      for (const auto& p : problems) console_log("/.aether/image.conf " + p + " (ignored)");
    }
  }
  for (;;) {
    int fd = open_virtio_port(kPortName, std::chrono::seconds(10));
    if (fd < 0) fd = accept_vsock(config.vsock_port);
    if (fd < 0) {
      console_log("no host channel (virtio port aether.agent or vsock); retrying");
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    console_log("channel open, mode " + options.mode);
    Agent agent(fd, options);
    const ServeEnd end = agent.serve();
    ::close(fd);
    if (end == ServeEnd::kShutdown) break;
    // The host went away or broke the stream: wait for it to come back.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  console_log("powering off");
  power_off(config.reboot_to_stop);
}

void usage() {
  std::puts(
      "aether-vm-agent: PID 1 of an Aether microVM; serves the host over virtio-serial\n"
      "port 'aether.agent' or vsock.\n"
      "  --help            this text\n"
      "  --version         print the version\n"
      "  --check-config    print the settings read from /proc/cmdline and check them\n"
      "  --connect PATH    (debugging on a host) serve over the Unix socket at PATH\n"
      "Kernel command line: aether.agent.mode=normal|garbage|oversized|silent,\n"
      "aether.agent.vsock_port=N (default 1024), aether.agent.stop=poweroff|reboot,\n"
      "aether.net=ADDRESS/PREFIX,GATEWAY (eth0 address and default route).");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (::getpid() == 1) return run_pid1();
    std::signal(SIGPIPE, SIG_IGN);
    const std::string arg = argc > 1 ? argv[1] : "--help";
    if (arg == "--version") {
      std::puts(AETHER_VERSION);
      return 0;
    }
    if (arg == "--check-config") {
      Config config;
      std::string problem;
      if (!parse_config(read_kernel_cmdline(), config, problem)) {
        std::fprintf(stderr, "aether-vm-agent: %s\n", problem.c_str());
        return 2;
      }
      std::printf("mode=%s\nvsock_port=%u\nstop=%s\n", config.mode.c_str(), config.vsock_port,
                  config.reboot_to_stop ? "reboot" : "poweroff");
      const auto cmdline = read_kernel_cmdline();
      if (auto net = cmdline.find("aether.net"); net != cmdline.end()) {
        auto parsed = parse_guest_net(net->second, problem);
        if (!parsed) {
          std::fprintf(stderr, "aether-vm-agent: %s\n", problem.c_str());
          return 2;
        }
        std::printf("net=%s\n", format_guest_net(*parsed).c_str());
      }
      return 0;
    }
    if (arg == "--connect" && argc > 2) {
      const int fd = connect_unix(argv[2]);
      if (fd < 0) {
        std::fprintf(stderr, "aether-vm-agent: cannot connect to %s: %s\n", argv[2],
                     std::strerror(errno));
        return 1;
      }
      Agent agent(fd, AgentOptions{.version = AETHER_VERSION});
      (void)agent.serve();
      ::close(fd);
      return 0;
    }
    usage();
    return arg == "--help" ? 0 : 2;
  } catch (const std::exception& e) {
    // PID 1 must never return: the kernel would panic and the host would see
    // a dead VM instead of an error.
    console_log(std::string("fatal: ") + e.what());
    if (::getpid() == 1) power_off();
    return 1;
  }
}
