// VmClassOption: AETHER_VM_CLASSES read into a table, and refused naming the item.
#include <catch2/catch.hpp>

#include "aether/service/vm_class_option.hpp"

namespace config = aether::config;
namespace bus = aether::bus;
using aether::service::VmClassOption;

TEST_CASE("vm class option: the default table, a custom one, and bad values named") {
  SECTION("unset: the default table") {
    config::Spec spec("t", "test");
    VmClassOption option(spec);
    REQUIRE(spec.load(config::map_env({})));
    CHECK(option.table() == bus::default_vm_classes());
  }
  SECTION("a custom table is what table() gives") {
    config::Spec spec("t", "test");
    VmClassOption option(spec);
    REQUIRE(spec.load(config::map_env({{"AETHER_VM_CLASSES", "tiny=1x256,big=4x8GiB"}})));
    const bus::VmClassTable want{{"tiny", 1, 256}, {"big", 4, 8192}};
    CHECK(option.table() == want);
    CHECK(bus::vm_create_subject(1, 256, option.table()) == "aether.cmd.vm.create.tiny");
    CHECK(bus::vm_create_subject(2, 1024, option.table()) == "aether.cmd.vm.create.big");
  }
  SECTION("a table that does not parse is refused, naming the variable and the item") {
    config::Spec spec("t", "test");
    VmClassOption option(spec);
    auto loaded = spec.load(config::map_env({{"AETHER_VM_CLASSES", "small=1x512,Big=2x1GiB"}}));
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.error().message,
               Catch::Contains("AETHER_VM_CLASSES") && Catch::Contains("class 'Big=2x1GiB'"));
  }
  SECTION("a service adds its own rule through field()") {
    config::Spec spec("t", "test");
    VmClassOption option(spec);
    option.field().check([](const std::string& v) -> std::optional<std::string> {
      if (v.find("large") == std::string::npos) return "must have a class named large";
      return std::nullopt;
    });
    auto loaded = spec.load(config::map_env({{"AETHER_VM_CLASSES", "small=1x512"}}));
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.error().message, Catch::Contains("must have a class named large"));
  }
}
