#include "firecracker_api.hpp"

namespace aether::vmm {

FirecrackerPaths firecracker_paths(const VmConfig& config) {
  return FirecrackerPaths{config.state_dir / "firecracker.sock", config.state_dir / "vsock.sock",
                          config.state_dir / "firecracker.log"};
}

std::vector<ApiCall> firecracker_boot_calls(const VmConfig& config,
                                            const FirecrackerOptions& options,
                                            const FirecrackerPaths& paths) {
  // reboot=k: the guest's reboot (how the agent stops) makes Firecracker exit.
  std::string boot_args = "console=ttyS0 quiet reboot=k panic=1 pci=off aether.agent.stop=reboot";
  boot_args += " aether.agent.vsock_port=" + std::to_string(options.vsock_port);
  if (config.rootfs) boot_args += " root=/dev/vda";
  if (config.guest_net) boot_args += " aether.net=" + *config.guest_net;
  if (!config.extra_cmdline.empty()) boot_args += " " + config.extra_cmdline;

  std::vector<ApiCall> calls;
  calls.push_back(
      {"PUT",
       "/machine-config",
       {{"vcpu_count", config.vcpus}, {"mem_size_mib", config.memory_mib}, {"smt", false}}});
  calls.push_back({"PUT",
                   "/boot-source",
                   {{"kernel_image_path", config.kernel.string()},
                    {"initrd_path", config.initrd.string()},
                    {"boot_args", boot_args}}});
  if (config.rootfs) {
    calls.push_back({"PUT",
                     "/drives/rootfs",
                     {{"drive_id", "rootfs"},
                      {"path_on_host", config.rootfs->string()},
                      {"is_root_device", true},
                      {"is_read_only", false}}});
  }
  if (config.tap_device) {
    nlohmann::json iface = {{"iface_id", "eth0"}, {"host_dev_name", *config.tap_device}};
    if (config.guest_mac) iface["guest_mac"] = *config.guest_mac;
    calls.push_back({"PUT", "/network-interfaces/eth0", std::move(iface)});
  }
  calls.push_back({"PUT",
                   "/vsock",
                   {{"guest_cid", options.guest_cid}, {"uds_path", paths.vsock_socket.string()}}});
  calls.push_back({"PUT", "/actions", {{"action_type", "InstanceStart"}}});
  return calls;
}

}  // namespace aether::vmm
