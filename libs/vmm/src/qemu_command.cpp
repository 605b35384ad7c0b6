#include "qemu_command.hpp"

#include <fstream>

namespace aether::vmm {

QemuPaths qemu_paths(const VmConfig& config) {
  return QemuPaths{config.state_dir / "agent.sock", config.state_dir / "qmp.sock",
                   config.state_dir / "console.log", config.state_dir / "qemu.log",
                   config.state_dir / "rootfs.qcow2"};
}

unsigned long host_tsc_khz() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("cpu MHz", 0) == 0) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) break;
      try {
        return static_cast<unsigned long>(std::stod(line.substr(colon + 1)) * 1000.0);
      } catch (...) {
        return 0;
      }
    }
  }
  return 0;
}

std::vector<std::string> qemu_command_line(const std::filesystem::path& binary,
                                           const VmConfig& config, const QemuOptions& options,
                                           const QemuPaths& paths, bool use_kvm) {
  // reboot=t + -no-reboot: a guest reboot ends QEMU; panic=-1: so does a panic.
  std::string cmdline = "console=ttyS0 quiet reboot=t panic=-1";
  if (!use_kvm) {
    if (const auto khz = host_tsc_khz(); khz > 0) {
      cmdline += " tsc_early_khz=" + std::to_string(khz) + " tsc=reliable";
    }
  }
  if (config.rootfs) cmdline += " root=/dev/vda";
  if (config.guest_net) cmdline += " aether.net=" + *config.guest_net;
  if (!config.extra_cmdline.empty()) cmdline += " " + config.extra_cmdline;

  std::vector<std::string> argv = {
      binary.string(),
      "-M",
      "microvm",
      "-accel",
      use_kvm ? "kvm" : "tcg,tb-size=64",  // TCG's code cache defaults to 1 GiB
      "-m",
      std::to_string(config.memory_mib),
      "-smp",
      std::to_string(config.vcpus),
      "-nodefaults",
      "-no-user-config",
      "-nographic",
      "-no-reboot",
      "-kernel",
      config.kernel.string(),
      "-initrd",
      config.initrd.string(),
      "-append",
      cmdline,
      "-chardev",
      "file,id=console,path=" + paths.console_log.string(),
      "-serial",
      "chardev:console",
      "-device",
      "virtio-serial-device",
      "-chardev",
      "socket,id=agent,path=" + paths.agent_socket.string(),
      "-device",
      "virtserialport,chardev=agent,name=aether.agent",
      "-qmp",
      "unix:" + paths.qmp_socket.string() + ",server=on,wait=off",
  };
  if (use_kvm && !options.kvm_cpu.empty()) argv.insert(argv.begin() + 5, {"-cpu", options.kvm_cpu});
  // -runas needs setuid after the filter is installed.
  argv.insert(argv.end(),
              {"-sandbox", std::string("on,obsolete=deny,spawn=deny,resourcecontrol=deny,") +
                               (options.run_as.empty() ? "elevateprivileges=deny"
                                                       : "elevateprivileges=allow")});
  if (config.rootfs) {
    // The VM's own qcow2 layer (created by the runtime) on the shared,
    // read-only base named inside it.
    argv.insert(argv.end(),
                {"-drive", "id=root,if=none,format=qcow2,file=" + paths.rootfs_overlay.string(),
                 "-device", "virtio-blk-device,drive=root"});
  }
  if (config.tap_device) {
    argv.insert(argv.end(),
                {"-netdev", "tap,id=net0,ifname=" + *config.tap_device + ",script=no,downscript=no",
                 "-device",
                 "virtio-net-device,netdev=net0" +
                     (config.guest_mac ? ",mac=" + *config.guest_mac : std::string())});
  }
  if (!options.run_as.empty()) argv.insert(argv.end(), {"-runas", options.run_as});
  return argv;
}

}  // namespace aether::vmm
