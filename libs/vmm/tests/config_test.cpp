#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "aether/vmm/runtime.hpp"
#include "qemu_command.hpp"

using namespace aether::vmm;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/vmm_test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

VmConfig config_in(const TempDir& dir) {
  VmConfig config;
  config.id = "vm-1";
  config.state_dir = dir.path / "vm-1";
  config.kernel = dir.path / "vmlinux";
  config.initrd = dir.path / "initramfs.cpio";
  std::ofstream(config.kernel) << "k";
  std::ofstream(config.initrd) << "i";
  return config;
}

bool has_pair(const std::vector<std::string>& argv, const std::string& flag,
              const std::string& value) {
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == flag && argv[i + 1] == value) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("validate names the field and the rule") {
  TempDir dir;
  auto config = config_in(dir);
  REQUIRE(validate(config));
  SECTION("id") {
    config.id = "bad id/../x";
    auto r = validate(config);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidConfig);
    CHECK_THAT(r.error().message, Catch::Contains("VmConfig.id"));
  }
  SECTION("missing kernel names the path") {
    config.kernel = dir.path / "nope" / "vmlinux";
    auto r = validate(config);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kMissingFile);
    CHECK_THAT(r.error().message, Catch::Contains((dir.path / "nope" / "vmlinux").string()));
  }
  SECTION("missing initrd names the path") {
    config.initrd = dir.path / "missing.cpio";
    auto r = validate(config);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("initrd"));
    CHECK_THAT(r.error().message, Catch::Contains("missing.cpio"));
  }
  SECTION("memory") {
    config.memory_mib = 1;
    auto r = validate(config);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("memory_mib"));
  }
}

TEST_CASE("a missing VMM binary is a clear error naming it") {
  TempDir dir;
  auto runtime = make_qemu_runtime(QemuOptions{.binary = "/opt/none/qemu-system-x86_64"}, false);
  auto vm = runtime->boot(config_in(dir));
  REQUIRE_FALSE(vm);
  CHECK(vm.error().code == Errc::kMissingFile);
  CHECK_THAT(vm.error().message, Catch::Contains("/opt/none/qemu-system-x86_64"));
  auto on_path = find_executable("no-such-vmm-binary");
  REQUIRE_FALSE(on_path);
  CHECK_THAT(on_path.error().message, Catch::Contains("no-such-vmm-binary"));
}

TEST_CASE("a NIC on a TAP gets its MAC and the guest its address on the command line") {
  TempDir dir;
  auto config = config_in(dir);
  config.guest_mac = "02:01:02:03:04:05";
  CHECK_THAT(validate(config).error().message, Catch::Contains("need tap_device"));
  config.tap_device = "aet0011aabb";
  config.guest_net = "10.200.0.2/16,10.200.0.1";
  REQUIRE(validate(config));
  auto argv = qemu_command_line("/usr/bin/qemu-system-x86_64", config, QemuOptions{},
                                qemu_paths(config), false);
  CHECK(has_pair(argv, "-netdev", "tap,id=net0,ifname=aet0011aabb,script=no,downscript=no"));
  CHECK(has_pair(argv, "-device", "virtio-net-device,netdev=net0,mac=02:01:02:03:04:05"));
  auto append = std::find(argv.begin(), argv.end(), "-append");
  REQUIRE(append != argv.end());
  CHECK_THAT(*(append + 1), Catch::Contains(" aether.net=10.200.0.2/16,10.200.0.1"));

  config.guest_net = "10.200.0.2/16 init=/bin/sh";
  CHECK_THAT(validate(config).error().message, Catch::Contains("VmConfig.guest_net"));
  config.guest_net.reset();
  config.guest_mac = "02:01:02:03:04";
  CHECK_THAT(validate(config).error().message, Catch::Contains("VmConfig.guest_mac"));
  config.guest_mac.reset();
  config.tap_device = "tap,script=/x";
  CHECK_THAT(validate(config).error().message, Catch::Contains("VmConfig.tap_device"));
}

TEST_CASE("the QEMU command line is a sandboxed microvm with the agent port") {
  TempDir dir;
  auto config = config_in(dir);
  config.extra_cmdline = "aether.agent.mode=silent";
  const auto paths = qemu_paths(config);
  SECTION("tcg") {
    auto argv =
        qemu_command_line("/usr/bin/qemu-system-x86_64", config, QemuOptions{}, paths, false);
    CHECK(has_pair(argv, "-M", "microvm"));
    CHECK(has_pair(argv, "-accel", "tcg,tb-size=64"));
    CHECK(has_pair(argv, "-device", "virtserialport,chardev=agent,name=aether.agent"));
    CHECK(has_pair(argv, "-chardev", "socket,id=agent,path=" + paths.agent_socket.string()));
    CHECK(has_pair(argv, "-qmp", "unix:" + paths.qmp_socket.string() + ",server=on,wait=off"));
    CHECK(std::find(argv.begin(), argv.end(), "-nodefaults") != argv.end());
    auto sandbox = std::find(argv.begin(), argv.end(), "-sandbox");
    REQUIRE(sandbox != argv.end());
    CHECK_THAT(*(sandbox + 1), Catch::StartsWith("on,"));
    auto append = std::find(argv.begin(), argv.end(), "-append");
    REQUIRE(append != argv.end());
    CHECK_THAT(*(append + 1), Catch::Contains("aether.agent.mode=silent"));
    CHECK_THAT(*(append + 1), Catch::Contains("panic=-1"));
  }
  SECTION("kvm") {
    auto argv =
        qemu_command_line("/usr/bin/qemu-system-x86_64", config, QemuOptions{}, paths, true);
    CHECK(has_pair(argv, "-accel", "kvm"));
    CHECK(std::find(argv.begin(), argv.end(), "-cpu") == argv.end());
    auto append = std::find(argv.begin(), argv.end(), "-append");
    REQUIRE(append != argv.end());
    CHECK_THAT(*(append + 1), !Catch::Contains("tsc_early_khz"));
    argv = qemu_command_line("/usr/bin/qemu-system-x86_64", config, QemuOptions{.kvm_cpu = "host"},
                             paths, true);
    CHECK(has_pair(argv, "-cpu", "host"));
  }
}

TEST_CASE("AETHER_RUNTIME and AETHER_QEMU_ACCEL are checked") {
  CHECK(parse_runtime_kind("qemu").value() == RuntimeKind::kQemu);
  CHECK(parse_runtime_kind("").value() == RuntimeKind::kAuto);
  CHECK(parse_runtime_kind("firecracker").value() == RuntimeKind::kFirecracker);
  auto bad = parse_runtime_kind("xen");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("AETHER_RUNTIME"));
  ::setenv("AETHER_QEMU_ACCEL", "hvf", 1);
  auto options = runtime_options_from_env();
  ::unsetenv("AETHER_QEMU_ACCEL");
  REQUIRE_FALSE(options);
  CHECK_THAT(options.error().message, Catch::Contains("AETHER_QEMU_ACCEL"));
}

TEST_CASE("a root file system is attached as the VM's qcow2 overlay, never the base itself") {
  TempDir dir;
  auto config = config_in(dir);
  config.rootfs = "/templates/python/rootfs.ext4";
  const auto paths = qemu_paths(config);
  CHECK(paths.rootfs_overlay == config.state_dir / "rootfs.qcow2");
  auto argv = qemu_command_line("/usr/bin/qemu-system-x86_64", config, QemuOptions{}, paths, false);
  CHECK(has_pair(argv, "-drive",
                 "id=root,if=none,format=qcow2,file=" + paths.rootfs_overlay.string()));
  for (const auto& arg : argv) CHECK_THAT(arg, !Catch::Contains("rootfs.ext4"));
  auto append = std::find(argv.begin(), argv.end(), "-append");
  REQUIRE(append != argv.end());
  CHECK_THAT(*(append + 1), Catch::Contains(" root=/dev/vda"));
}
