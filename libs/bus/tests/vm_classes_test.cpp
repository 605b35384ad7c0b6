#include <catch2/catch.hpp>

#include "aether/bus/jetstream.hpp"

using namespace aether::bus;

TEST_CASE("vm classes: the default table and where a create goes") {
  const auto& t = default_vm_classes();
  REQUIRE(t.size() == 3);
  CHECK(vm_create_subject(1, 256) == "aether.cmd.vm.create.small");
  CHECK(vm_create_subject(1, 512) == "aether.cmd.vm.create.small");
  CHECK(vm_create_subject(1, 513) == "aether.cmd.vm.create.medium");
  CHECK(vm_create_subject(2, 256) == "aether.cmd.vm.create.medium");
  CHECK(vm_create_subject(3, 256) == "aether.cmd.vm.create.large");
  CHECK(vm_create_subject(64, 65536) == "aether.cmd.vm.create.large");  // over every class
  CHECK(vm_create_class_consumer("small") == "vm-create-small");
  CHECK(format_vm_classes(t) == "small=1x512MiB,medium=2x2048MiB,large=8x16384MiB");
  auto again = parse_vm_classes(format_vm_classes(t));
  REQUIRE(again);
  CHECK(*again == t);
}

TEST_CASE("vm classes: a custom table and its errors") {
  auto t = parse_vm_classes("tiny=1x256, big=4x8GiB");
  REQUIRE(t);
  CHECK(vm_create_subject(2, 300, *t) == "aether.cmd.vm.create.big");
  CHECK(vm_class_index(*t, 1, 256) == 0);

  auto message = [](std::string_view text) {
    auto r = parse_vm_classes(text);
    return r ? std::string() : r.error().message;
  };
  CHECK_THAT(message("big=4x8GiB,tiny=1x256"), Catch::Contains("smallest first"));
  CHECK_THAT(message("a=2x256,b=1x512"), Catch::Contains("smallest first"));
  CHECK_THAT(message("a=1x256,a=2x512"), Catch::Contains("given twice"));
  CHECK_THAT(message("a=1x256,b=1x256"), Catch::Contains("same size"));
  CHECK_THAT(message("A=1x256"), Catch::Contains("[a-z0-9_-]"));
  CHECK_THAT(message("a=0x256"), Catch::Contains("vCPUs must be"));
  CHECK_THAT(message("a=1x0"), Catch::Contains("memory must be"));
  CHECK_THAT(message("a=1x2TB"), Catch::Contains("memory must be"));
  CHECK_THAT(message("a"), Catch::Contains("name=VCPUSxMEMORY"));
  CHECK_THAT(message(""), Catch::Contains("no class"));
}
