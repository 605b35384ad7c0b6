// RuntimeConfigFields: the runtime variables on a Spec, and runtime_options_from()
// built on the same declaration.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "aether/config/cli.hpp"
#include "aether/vmm/runtime_config.hpp"

using namespace aether;

TEST_CASE("runtime fields: defaults, values, and errors naming the variable") {
  config::Spec spec("t", "t");
  vmm::RuntimeConfigFields fields(spec);
  SECTION("defaults") {
    REQUIRE(spec.load(config::map_env({})));
    const auto o = fields.options();
    CHECK(o.kind == vmm::RuntimeKind::kAuto);
    CHECK(o.qemu.accel == vmm::Accel::kAuto);
    CHECK(o.qemu.binary == "qemu-system-x86_64");
    CHECK(o.firecracker.binary == "firecracker");
    CHECK(o.qemu.run_as == (::geteuid() == 0 ? "nobody" : ""));
    CHECK_FALSE(o.probe.has_value());
  }
  SECTION("values") {
    REQUIRE(spec.load(config::map_env({{"AETHER_RUNTIME", "qemu"},
                                       {"AETHER_QEMU_ACCEL", "tcg"},
                                       {"AETHER_QEMU_BINARY", "/opt/qemu"},
                                       {"AETHER_QEMU_CPU", "host"},
                                       {"AETHER_VMM_USER", "root"},
                                       {"AETHER_FIRECRACKER_BINARY", "/opt/fc"}})));
    const auto o = fields.options();
    CHECK(o.kind == vmm::RuntimeKind::kQemu);
    CHECK(o.qemu.accel == vmm::Accel::kTcg);
    CHECK(o.qemu.binary == "/opt/qemu");
    CHECK(o.qemu.kvm_cpu == "host");
    CHECK(o.qemu.run_as.empty());  // root: keep root
    CHECK(o.firecracker.binary == "/opt/fc");
  }
  SECTION("bad values, all reported") {
    auto loaded = spec.load(config::map_env({{"AETHER_RUNTIME", "xen"},
                                             {"AETHER_QEMU_ACCEL", "hvf"},
                                             {"AETHER_VMM_USER", "no-such-user-here"}}));
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.error().message, Catch::Contains("AETHER_RUNTIME=xen"));
    CHECK_THAT(loaded.error().message, Catch::Contains("AETHER_QEMU_ACCEL=hvf"));
    CHECK_THAT(loaded.error().message,
               Catch::Contains("AETHER_VMM_USER=no-such-user-here: no such user"));
  }
}

TEST_CASE("help lists the runtime variables once they are declared") {
  config::Spec spec("aether-x", "x");
  vmm::RuntimeConfigFields fields(spec);
  config::Cli cli(spec, "1");
  const auto help = cli.environment_help();
  for (const char* name : {"AETHER_RUNTIME", "AETHER_QEMU_ACCEL", "AETHER_QEMU_BINARY",
                           "AETHER_QEMU_CPU", "AETHER_VMM_USER", "AETHER_FIRECRACKER_BINARY"}) {
    CHECK_THAT(help, Catch::Contains(name));
  }
}

TEST_CASE("runtime_options_from: same rules, an empty value is unset") {
  auto ok = vmm::runtime_options_from(
      config::map_env({{"AETHER_RUNTIME", ""}, {"AETHER_QEMU_ACCEL", "kvm"}}));
  REQUIRE(ok);
  CHECK(ok->kind == vmm::RuntimeKind::kAuto);
  CHECK(ok->qemu.accel == vmm::Accel::kKvm);
  auto bad = vmm::runtime_options_from(
      config::map_env({{"AETHER_QEMU_BINARY", "x"}, {"AETHER_RUNTIME", "kvm"}}));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == vmm::Errc::kInvalidConfig);
  CHECK_THAT(bad.error().message, Catch::Contains("AETHER_RUNTIME=kvm"));
}

TEST_CASE("vmm_user_id: our user, a real user, no such user") {
  CHECK(vmm::vmm_user_id({}).value() == std::nullopt);
  auto root = vmm::vmm_user_id({.run_as = "root"});
  REQUIRE(root);
  CHECK(root->value() == 0u);
  auto missing = vmm::vmm_user_id({.run_as = "no-such-user-here"});
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("no-such-user-here"));
}
