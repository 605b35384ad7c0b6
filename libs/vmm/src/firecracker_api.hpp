// The Firecracker API calls that configure and start one microVM, built apart
// from sending them so tests can check them against the published API.
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
};

struct ApiCall {
  std::string method;
  std::string path;
  nlohmann::json body;
};

[[nodiscard]] FirecrackerPaths firecracker_paths(const VmConfig& config);

// machine-config, boot-source, drives/rootfs, network-interfaces/eth0, vsock,
// then actions InstanceStart.
[[nodiscard]] std::vector<ApiCall> firecracker_boot_calls(const VmConfig& config,
                                                          const FirecrackerOptions& options,
                                                          const FirecrackerPaths& paths);

}  // namespace aether::vmm
