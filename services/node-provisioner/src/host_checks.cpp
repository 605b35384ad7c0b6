#include "host_checks.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

namespace aether::provisioner {
namespace fs = std::filesystem;
namespace {

Check make(std::string name, CheckResult result, std::string reason, bool required) {
  return Check{std::move(name), result, std::move(reason), required, {}};
}

std::optional<std::string> read_first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

std::optional<std::int64_t> read_int(const fs::path& file) {
  auto line = read_first_line(file);
  if (!line) return std::nullopt;
  std::int64_t value = 0;
  const auto* end = line->data() + line->size();
  auto [ptr, ec] = std::from_chars(line->data(), end, value);
  if (ec != std::errc{}) return std::nullopt;
  return value;
}

Check check_char_device(const std::string& name, const fs::path& path, bool required,
                        const std::string& needed_for, const std::string& when_absent) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make(name, required ? CheckResult::kFail : CheckResult::kWarn,
                path.string() + " is absent" + (when_absent.empty() ? "" : ": " + when_absent),
                required);
  }
  if (!S_ISCHR(st.st_mode)) {
    return make(name, required ? CheckResult::kFail : CheckResult::kWarn,
                path.string() + " is not a character device", required);
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return make(name, required ? CheckResult::kFail : CheckResult::kWarn,
                "cannot open " + path.string() + ": " + std::strerror(errno), required);
  }
  ::close(fd);
  return make(name, CheckResult::kPass, path.string() + " opens read-write (" + needed_for + ")",
              required);
}

}  // namespace

std::string human_bytes(std::uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  std::ostringstream out;
  out.precision(unit == 0 ? 0 : 1);
  out << std::fixed << value << " " << units[unit];
  return out.str();
}

Check check_dev_tun(const HostCheckOptions& o) {
  return check_char_device("dev-net-tun", o.dev_tun, o.networking, "TAP devices for VM networking",
                           o.networking ? "AETHER_NETWORK=on needs TAP devices (modprobe tun)"
                                        : "only needed with AETHER_NETWORK=on");
}

Check check_vhost_vsock(const HostCheckOptions& o) {
  // Advisory: QEMU talks to the agent over virtio-serial and Firecracker's
  // vsock is its own (a Unix socket on the host), so neither needs it.
  return check_char_device("dev-vhost-vsock", o.dev_vhost_vsock, false, "QEMU vhost vsock",
                           "QEMU uses virtio-serial as the guest channel instead");
}

Check check_cpu_flags(const HostCheckOptions& o) {
  std::ifstream in(o.proc / "cpuinfo");
  if (!in) return make("cpu-virt-flags", CheckResult::kWarn, "cannot read /proc/cpuinfo", false);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    bool vmx = false, svm = false, hypervisor = false;
    for (std::string w; words >> w;) {
      vmx |= w == "vmx";
      svm |= w == "svm";
      hypervisor |= w == "hypervisor";
    }
    if (vmx) return make("cpu-virt-flags", CheckResult::kPass, "Intel VT-x (vmx)", false);
    if (svm) return make("cpu-virt-flags", CheckResult::kPass, "AMD-V (svm)", false);
    return make("cpu-virt-flags", CheckResult::kWarn,
                std::string("no vmx or svm flag") +
                    (hypervisor ? " (the CPU says it runs under a hypervisor: nested or "
                                  "paravirtual KVM, which only the guest boot can judge)"
                                : ""),
                false);
  }
  return make("cpu-virt-flags", CheckResult::kWarn, "no flags line in /proc/cpuinfo", false);
}

Check check_cgroup(const HostCheckOptions& o) {
  std::error_code ec;
  if (fs::exists(o.sys / "fs/cgroup/cgroup.controllers", ec)) {
    return make("cgroup", CheckResult::kPass, "cgroup v2 (unified)", false);
  }
  if (fs::exists(o.sys / "fs/cgroup/unified/cgroup.controllers", ec)) {
    return make("cgroup", CheckResult::kWarn,
                "cgroup v1 with v2 beside it (hybrid); Firecracker's jailer prefers v2", false);
  }
  if (fs::exists(o.sys / "fs/cgroup", ec)) {
    return make("cgroup", CheckResult::kWarn, "cgroup v1 only; Firecracker's jailer prefers v2",
                false);
  }
  return make("cgroup", CheckResult::kWarn, "no cgroup filesystem at /sys/fs/cgroup", false);
}

Check check_memory(const HostCheckOptions& o) {
  std::ifstream in(o.proc / "meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key != "MemAvailable:") continue;
    const std::uint64_t bytes = kib * 1024;
    const std::string what =
        human_bytes(bytes) + " available, " + human_bytes(o.min_memory_available) + " needed";
    return make("memory", bytes >= o.min_memory_available ? CheckResult::kPass : CheckResult::kFail,
                what, true);
  }
  return make("memory", CheckResult::kFail, "no MemAvailable in /proc/meminfo", true);
}

Check check_disk(const HostCheckOptions& o) {
  fs::path dir = o.asset_dir;
  std::error_code ec;
  while (!dir.empty() && !fs::exists(dir, ec)) dir = dir.parent_path();
  if (dir.empty()) dir = "/";
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) {
    return make("disk-free", CheckResult::kFail,
                "statvfs " + dir.string() + ": " + std::strerror(errno), true);
  }
  if (st.f_flag & ST_RDONLY) {
    return make("disk-free", CheckResult::kFail,
                dir.string() + " is on a read-only filesystem (the assets cannot be installed)",
                true);
  }
  const std::uint64_t free = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  return make("disk-free", free >= o.min_disk_free ? CheckResult::kPass : CheckResult::kFail,
              human_bytes(free) + " free under " + dir.string() + ", " +
                  human_bytes(o.min_disk_free) + " needed",
              true);
}

Check check_kernel(const HostCheckOptions& o) {
  auto release = read_first_line(o.proc / "sys/kernel/osrelease");
  if (!release) return make("kernel", CheckResult::kFail, "cannot read the kernel release", true);
  int major = 0, minor = 0;
  const char* p = release->data();
  const char* end = p + release->size();
  auto r1 = std::from_chars(p, end, major);
  if (r1.ec != std::errc{} || r1.ptr == end || *r1.ptr != '.') {
    return make("kernel", CheckResult::kFail, "cannot parse kernel release '" + *release + "'",
                true);
  }
  (void)std::from_chars(r1.ptr + 1, end, minor);
  const bool firecracker = o.runtime == "firecracker";
  const int need_major = firecracker ? 5 : 4, need_minor = firecracker ? 10 : 14;
  const bool ok = major > need_major || (major == need_major && minor >= need_minor);
  const std::string need = std::to_string(need_major) + "." + std::to_string(need_minor);
  return make("kernel", ok ? CheckResult::kPass : CheckResult::kFail,
              "Linux " + *release +
                  (ok ? " (" + need + " or newer needed)"
                      : ", " + need + " or newer needed" + (firecracker ? " for Firecracker" : "")),
              true);
}

Check check_ip_forward(const HostCheckOptions& o) {
  auto value = read_int(o.proc / "sys/net/ipv4/ip_forward");
  if (!o.networking) {
    return make("sysctl-ip-forward", CheckResult::kPass,
                "not needed (AETHER_NETWORK=off); net.ipv4.ip_forward=" +
                    (value ? std::to_string(*value) : std::string("unreadable")),
                false);
  }
  if (!value) {
    return make("sysctl-ip-forward", CheckResult::kFail, "cannot read net.ipv4.ip_forward", true);
  }
  if (*value != 1) {
    return make("sysctl-ip-forward", CheckResult::kFail,
                "net.ipv4.ip_forward=" + std::to_string(*value) +
                    ", VM networking (AETHER_NETWORK=on) needs 1",
                true);
  }
  return make("sysctl-ip-forward", CheckResult::kPass, "net.ipv4.ip_forward=1", true);
}

Check check_max_map_count(const HostCheckOptions& o) {
  auto value = read_int(o.proc / "sys/vm/max_map_count");
  if (!value)
    return make("sysctl-max-map-count", CheckResult::kFail, "cannot read vm.max_map_count", true);
  const bool ok = *value >= o.min_max_map_count;
  return make("sysctl-max-map-count", ok ? CheckResult::kPass : CheckResult::kFail,
              "vm.max_map_count=" + std::to_string(*value) + ", " +
                  std::to_string(o.min_max_map_count) + " or more needed",
              true);
}

std::vector<Check> run_host_checks(const HostCheckOptions& options) {
  using Fn = Check (*)(const HostCheckOptions&);
  static const Fn kChecks[] = {check_cpu_flags, check_dev_tun,    check_vhost_vsock,
                               check_cgroup,    check_memory,     check_disk,
                               check_kernel,    check_ip_forward, check_max_map_count};
  std::vector<Check> out;
  for (Fn fn : kChecks) {
    const auto start = std::chrono::steady_clock::now();
    Check check = fn(options);
    check.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    out.push_back(std::move(check));
  }
  return out;
}

}  // namespace aether::provisioner
