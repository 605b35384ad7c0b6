// worker_runtime_options: what main.cpp adds to libs/vmm's runtime options.
#include <catch2/catch.hpp>

#include "worker_startup.hpp"

using namespace aether;

TEST_CASE("worker runtime options: the probe boots the default template, the VMM user owns TAPs") {
  worker::WorkerConfig config;
  config.state_dir = "/var/lib/aether/vm-worker";
  config.templates["default"] = {.kernel = "/g/vmlinux", .initrd = "/g/initramfs.cpio"};
  vmm::RuntimeOptions options;
  options.qemu.binary = "/opt/qemu/bin/qemu-system-x86_64";
  SECTION("probe and TAP owner") {
    options.qemu.run_as = "nobody";
    auto o = worker::worker_runtime_options(options, config);
    REQUIRE(o);
    REQUIRE(o->probe);
    CHECK(o->probe->kernel == "/g/vmlinux");
    CHECK(o->probe->initrd == "/g/initramfs.cpio");
    CHECK(o->probe->cache_dir == "/var/lib/aether/vm-worker/probe-cache");
    CHECK(o->probe->work_dir == "/var/lib/aether/vm-worker/probe");
    CHECK(o->probe->qemu_binary == "/opt/qemu/bin/qemu-system-x86_64");
    REQUIRE(config.network.tap_owner);
    CHECK(*config.network.tap_owner != 0u);
  }
  SECTION("the VMM keeps our user: no TAP owner") {
    auto o = worker::worker_runtime_options(options, config);
    REQUIRE(o);
    CHECK_FALSE(config.network.tap_owner);
  }
  SECTION("an unknown VMM user is a config error naming it") {
    options.qemu.run_as = "no-such-user-here";
    auto o = worker::worker_runtime_options(options, config);
    REQUIRE_FALSE(o);
    CHECK(o.error().code == worker::Errc::kInvalidConfig);
    CHECK_THAT(o.error().message, Catch::Contains("AETHER_VMM_USER"));
  }
  SECTION("no default template") {
    config.templates.clear();
    auto o = worker::worker_runtime_options(options, config);
    REQUIRE_FALSE(o);
    CHECK_THAT(o.error().message, Catch::Contains("default"));
  }
}
