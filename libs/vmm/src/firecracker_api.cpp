#include "firecracker_api.hpp"

namespace aether::vmm {

FirecrackerPaths firecracker_paths(const VmConfig& config) {
  // Absolute: Firecracker runs in the state dir, we do not.
  const auto dir = std::filesystem::absolute(config.state_dir);
  return FirecrackerPaths{dir / "firecracker.sock", dir / kFirecrackerVsockName,
                          dir / "firecracker.log", dir / kFirecrackerRootfsName};
}

FirecrackerStateFiles firecracker_state_files(const std::filesystem::path& dir) {
  const auto absolute = std::filesystem::absolute(dir);
  return FirecrackerStateFiles{absolute / "vmstate", absolute / "memory.bin",
                               absolute / "disk.ext4"};
}

std::vector<ApiCall> firecracker_boot_calls(const VmConfig& config,
                                            const FirecrackerOptions& options) {
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
                      {"path_on_host", kFirecrackerRootfsName},
                      {"is_root_device", true},
                      {"is_read_only", false}}});
  }
  if (config.tap_device) {
    nlohmann::json iface = {{"iface_id", "eth0"}, {"host_dev_name", *config.tap_device}};
    if (config.guest_mac) iface["guest_mac"] = *config.guest_mac;
    calls.push_back({"PUT", "/network-interfaces/eth0", std::move(iface)});
  }
  calls.push_back(
      {"PUT", "/vsock", {{"guest_cid", options.guest_cid}, {"uds_path", kFirecrackerVsockName}}});
  calls.push_back({"PUT", "/actions", {{"action_type", "InstanceStart"}}});
  return calls;
}

std::vector<ApiCall> firecracker_snapshot_calls(const FirecrackerStateFiles& files) {
  return {{"PATCH", "/vm", {{"state", "Paused"}}},
          {"PUT",
           "/snapshot/create",
           {{"snapshot_type", "Full"},
            {"snapshot_path", files.vm_state.string()},
            {"mem_file_path", files.memory.string()}}}};
}

ApiCall firecracker_load_call(const FirecrackerStateFiles& files, const VmConfig& config) {
  nlohmann::json body = {
      {"snapshot_path", files.vm_state.string()},
      {"mem_backend", {{"backend_type", "File"}, {"backend_path", files.memory.string()}}},
      {"resume_vm", true}};
  if (config.tap_device) {
    body["network_overrides"] =
        nlohmann::json::array({{{"iface_id", "eth0"}, {"host_dev_name", *config.tap_device}}});
  }
  return {"PUT", "/snapshot/load", std::move(body)};
}

}  // namespace aether::vmm
