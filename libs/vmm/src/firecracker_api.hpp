// The Firecracker API calls that configure and start one microVM, and those
// that pause it, snapshot it and load a snapshot, built apart from sending
// them so tests can check them against the published API.
//
// Firecracker runs with the VM's state dir as its working directory, and the
// paths a snapshot records (the root drive, the vsock socket) are given
// relative to it: a VM restored in another state dir then opens its own disk
// copy and listens on its own socket (what the jailer's chroot does).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aether/vmm/runtime.hpp"
#include "aether/vmm/vm.hpp"

namespace aether::vmm {

struct FirecrackerPaths {
  std::filesystem::path api_socket;
  std::filesystem::path vsock_socket;  // Firecracker listens; we CONNECT <port>
  std::filesystem::path vmm_log;       // its stdout/stderr, incl. the guest console
  std::filesystem::path rootfs_disk;   // the VM's own copy of VmConfig.rootfs
};

// Names inside the state dir (Firecracker's working directory), as the API
// calls give them.
inline constexpr const char* kFirecrackerVsockName = "vsock.sock";
inline constexpr const char* kFirecrackerRootfsName = "rootfs.ext4";

// The files of a Firecracker snapshot or pause directory.
struct FirecrackerStateFiles {
  std::filesystem::path vm_state;  // Firecracker's microVM state (snapshot_path)
  std::filesystem::path memory;    // guest memory (mem_file_path)
  std::filesystem::path disk;      // the root disk copy (snapshots only; a pause keeps rootfs_disk)
};
[[nodiscard]] FirecrackerStateFiles firecracker_state_files(const std::filesystem::path& dir);

struct ApiCall {
  std::string method;
  std::string path;
  nlohmann::json body;
};

[[nodiscard]] FirecrackerPaths firecracker_paths(const VmConfig& config);

// machine-config, boot-source, drives/rootfs, network-interfaces/eth0, vsock,
// then actions InstanceStart.
[[nodiscard]] std::vector<ApiCall> firecracker_boot_calls(const VmConfig& config,
                                                          const FirecrackerOptions& options);

// PATCH /vm {"state":"Paused"}, then PUT /snapshot/create (a full snapshot)
// into `files` (absolute paths: Firecracker's working directory is not ours).
[[nodiscard]] std::vector<ApiCall> firecracker_snapshot_calls(const FirecrackerStateFiles& files);

// PUT /snapshot/load from `files`, resuming the VM; with config.tap_device the
// snapshot's eth0 is moved to that TAP (network_overrides).
[[nodiscard]] ApiCall firecracker_load_call(const FirecrackerStateFiles& files,
                                            const VmConfig& config);

}  // namespace aether::vmm
