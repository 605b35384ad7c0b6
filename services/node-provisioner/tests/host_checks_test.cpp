#include <catch2/catch.hpp>

#include "host_checks.hpp"
#include "temp_dir.hpp"

using namespace aether::provisioner;
using namespace aether::provisioner::testing;

namespace {
struct FakeHost {
  TempDir dir;
  HostCheckOptions options;
  FakeHost() {
    options.proc = dir.path / "proc";
    options.sys = dir.path / "sys";
    options.dev_tun = dir.path / "dev/net/tun";
    options.dev_vhost_vsock = dir.path / "dev/vhost-vsock";
    options.asset_dir = dir.path / "assets";
    write_file(options.proc / "cpuinfo", "processor\t: 0\nflags\t\t: fpu vme hypervisor lm\n\n");
    write_file(options.proc / "meminfo", "MemTotal: 8000000 kB\nMemAvailable: 4194304 kB\n");
    write_file(options.proc / "sys/kernel/osrelease", "6.1.0-27-cloud-amd64\n");
    write_file(options.proc / "sys/net/ipv4/ip_forward", "0\n");
    write_file(options.proc / "sys/vm/max_map_count", "65530\n");
  }
};
const Check& find(const std::vector<Check>& checks, const std::string& name) {
  for (const auto& c : checks) {
    if (c.name == name) return c;
  }
  FAIL("no check " << name);
  throw;
}
}  // namespace

TEST_CASE("CPU flags: vmx/svm pass, a hypervisor-only CPU is a warning that says why") {
  FakeHost h;
  auto check = check_cpu_flags(h.options);
  CHECK(check.result == CheckResult::kWarn);
  CHECK_FALSE(check.required);
  CHECK_THAT(check.reason, Catch::Contains("nested or paravirtual"));
  write_file(h.options.proc / "cpuinfo", "flags\t: fpu vmx lm\n");
  CHECK(check_cpu_flags(h.options).reason == "Intel VT-x (vmx)");
  write_file(h.options.proc / "cpuinfo", "flags\t: fpu svm lm\n");
  CHECK(check_cpu_flags(h.options).result == CheckResult::kPass);
}

TEST_CASE("memory and max_map_count are compared with their minimums") {
  FakeHost h;
  CHECK(check_memory(h.options).result == CheckResult::kPass);
  CHECK(check_memory(h.options).reason == "4.0 GiB available, 1.0 GiB needed");
  h.options.min_memory_available = 8ull << 30;
  CHECK(check_memory(h.options).result == CheckResult::kFail);
  CHECK(check_max_map_count(h.options).result == CheckResult::kPass);
  h.options.min_max_map_count = 262144;
  const auto low = check_max_map_count(h.options);
  CHECK(low.result == CheckResult::kFail);
  CHECK(low.reason == "vm.max_map_count=65530, 262144 or more needed");
}

TEST_CASE("ip_forward and /dev/net/tun are required only with networking on") {
  FakeHost h;
  CHECK(check_ip_forward(h.options).result == CheckResult::kPass);
  CHECK_FALSE(check_ip_forward(h.options).required);
  const auto tun_off = check_dev_tun(h.options);
  CHECK(tun_off.result == CheckResult::kWarn);
  CHECK_FALSE(tun_off.required);
  h.options.networking = true;
  const auto fwd = check_ip_forward(h.options);
  CHECK(fwd.result == CheckResult::kFail);
  CHECK(fwd.reason == "net.ipv4.ip_forward=0, VM networking (AETHER_NETWORK=on) needs 1");
  const auto tun = check_dev_tun(h.options);
  CHECK(tun.result == CheckResult::kFail);
  CHECK_THAT(tun.reason, Catch::Contains("is absent"));
  write_file(h.options.dev_tun, "not a device");
  CHECK_THAT(check_dev_tun(h.options).reason, Catch::Contains("not a character device"));
}

TEST_CASE("kernel release: parsed, and Firecracker needs 5.10") {
  FakeHost h;
  CHECK(check_kernel(h.options).result == CheckResult::kPass);
  write_file(h.options.proc / "sys/kernel/osrelease", "4.19.0-21-amd64\n");
  CHECK(check_kernel(h.options).result == CheckResult::kPass);
  h.options.runtime = "firecracker";
  const auto old = check_kernel(h.options);
  CHECK(old.result == CheckResult::kFail);
  CHECK(old.reason == "Linux 4.19.0-21-amd64, 5.10 or newer needed for Firecracker");
  write_file(h.options.proc / "sys/kernel/osrelease", "garbage\n");
  CHECK_THAT(check_kernel(h.options).reason, Catch::Contains("cannot parse"));
}

TEST_CASE("cgroup version and the vhost-vsock device are reported, not required") {
  FakeHost h;
  CHECK(check_cgroup(h.options).result == CheckResult::kWarn);
  write_file(h.options.sys / "fs/cgroup/cgroup.controllers", "cpu memory\n");
  CHECK(check_cgroup(h.options).reason == "cgroup v2 (unified)");
  const auto vsock = check_vhost_vsock(h.options);
  CHECK_FALSE(vsock.required);
  CHECK_THAT(vsock.reason, Catch::Contains("virtio-serial"));
}

TEST_CASE("disk space is measured where the assets go") {
  FakeHost h;
  h.options.min_disk_free = 1;
  CHECK(check_disk(h.options).result == CheckResult::kPass);
  h.options.min_disk_free = 1ull << 60;
  const auto full = check_disk(h.options);
  CHECK(full.result == CheckResult::kFail);
  CHECK_THAT(full.reason, Catch::Contains("needed"));
  const auto all = run_host_checks(h.options);
  CHECK(all.size() == 9);
  CHECK(find(all, "disk-free").result == CheckResult::kFail);
}
