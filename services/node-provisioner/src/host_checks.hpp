// The host checks other than KVM: devices, CPU flags, cgroups, memory, disk,
// kernel version and sysctls. Each returns a Check with a result and a human
// reason. The paths are options so tests point them at a fake /proc or /sys.
//
// Threads: pure functions of the host's files; safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "report.hpp"

namespace aether::provisioner {

struct HostCheckOptions {
  std::filesystem::path proc = "/proc";
  std::filesystem::path sys = "/sys";
  std::filesystem::path dev_tun = "/dev/net/tun";
  std::filesystem::path dev_vhost_vsock = "/dev/vhost-vsock";
  std::filesystem::path asset_dir = "/var/lib/aether";  // where disk space is needed
  bool networking = false;       // AETHER_NETWORK=on: TAP devices and forwarding needed
  std::string runtime = "auto";  // auto | firecracker | qemu (kernel version rule)
  std::uint64_t min_memory_available = 1ull << 30;
  std::uint64_t min_disk_free = 2ull << 30;
  std::int64_t min_max_map_count = 65530;
};

[[nodiscard]] Check check_dev_tun(const HostCheckOptions& options);
[[nodiscard]] Check check_vhost_vsock(const HostCheckOptions& options);
[[nodiscard]] Check check_cpu_flags(const HostCheckOptions& options);
[[nodiscard]] Check check_cgroup(const HostCheckOptions& options);
[[nodiscard]] Check check_memory(const HostCheckOptions& options);
[[nodiscard]] Check check_disk(const HostCheckOptions& options);
[[nodiscard]] Check check_kernel(const HostCheckOptions& options);
[[nodiscard]] Check check_ip_forward(const HostCheckOptions& options);
[[nodiscard]] Check check_max_map_count(const HostCheckOptions& options);

// All of the above, each timed, in a fixed order.
[[nodiscard]] std::vector<Check> run_host_checks(const HostCheckOptions& options);

// "1.5 GiB" for people.
[[nodiscard]] std::string human_bytes(std::uint64_t bytes);

}  // namespace aether::provisioner
