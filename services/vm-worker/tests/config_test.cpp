#include <catch2/catch.hpp>

#include "aether/config/config.hpp"
#include "worker_config.hpp"

using namespace aether::worker;
namespace cfg = aether::config;

TEST_CASE("config: defaults build a usable config") {
  cfg::Spec spec("t", "t");
  auto fields = declare_worker_config(spec);
  REQUIRE(spec.load(cfg::map_env({{"AETHER_WORKER_ID", "w1"}, {"AETHER_CAPACITY_VCPUS", "4"}})));
  auto c = build_worker_config(*fields, "1.2.3");
  REQUIRE(c);
  CHECK(c->worker_id == "w1");
  CHECK(c->capacity.vcpus == 4);
  CHECK(c->capacity.memory_mib == node_facts().memory_mib - 2048);
  CHECK(c->capacity.vms == 32);
  CHECK(c->templates.at("default").kernel == "/var/lib/aether/guest/vmlinux");
  CHECK(c->warm_pool.size == 0);
  CHECK_FALSE(c->network_enabled);
  CHECK(c->network.bridge == "aether0");
  CHECK(c->network.subnet == "10.200.0.0/16");
  CHECK(c->network.table == "aether");
  CHECK(c->network.deny_private);
}

TEST_CASE("config: networking settings are read and checked") {
  cfg::Spec spec("t", "t");
  auto fields = declare_worker_config(spec);
  REQUIRE(spec.load(cfg::map_env({{"AETHER_WORKER_ID", "w1"},
                                  {"AETHER_NETWORK", "on"},
                                  {"AETHER_NET_BRIDGE", "br-vms"},
                                  {"AETHER_NET_SUBNET", "172.30.0.0/20"},
                                  {"AETHER_NET_TABLE", "vms"},
                                  {"AETHER_NET_DENY_PRIVATE", "false"}})));
  auto c = build_worker_config(*fields, "1");
  REQUIRE(c);
  CHECK(c->network_enabled);
  CHECK(c->network.bridge == "br-vms");
  CHECK(c->network.subnet == "172.30.0.0/20");
  CHECK(c->network.table == "vms");
  CHECK_FALSE(c->network.deny_private);

  cfg::Spec bad("t", "t");
  auto f2 = declare_worker_config(bad);
  auto loaded = bad.load(cfg::map_env({{"AETHER_WORKER_ID", "w1"},
                                       {"AETHER_NETWORK", "yes"},
                                       {"AETHER_NET_BRIDGE", "a-bridge-name-too-long"},
                                       {"AETHER_NET_SUBNET", "10.200.0.1/16"},
                                       {"AETHER_NET_TABLE", "x;y"}}));
  REQUIRE_FALSE(loaded);
  CHECK_THAT(loaded.error().message,
             Catch::Contains("AETHER_NETWORK") && Catch::Contains("AETHER_NET_BRIDGE") &&
                 Catch::Contains("AETHER_NET_SUBNET") && Catch::Contains("host bits") &&
                 Catch::Contains("AETHER_NET_TABLE"));
}

TEST_CASE("config: sizes, templates and pool are read from the environment") {
  cfg::Spec spec("t", "t");
  auto fields = declare_worker_config(spec);
  REQUIRE(spec.load(cfg::map_env({{"AETHER_WORKER_ID", "w1"},
                                  {"AETHER_CAPACITY_MEMORY", "1GiB"},
                                  {"AETHER_VM_MAX_MEMORY", "1GiB"},
                                  {"AETHER_TEMPLATES", "py=/g/py"},
                                  {"AETHER_WARM_POOL_SIZE", "2"},
                                  {"AETHER_WARM_POOL_TEMPLATE", "py"},
                                  {"AETHER_WARM_POOL_MEMORY", "128MiB"}})));
  auto c = build_worker_config(*fields, "1.2.3");
  REQUIRE(c);
  CHECK(c->capacity.memory_mib == 1024);
  CHECK(c->templates.at("py").initrd == "/g/py/initramfs.cpio");
  CHECK(c->warm_pool.size == 2);
  CHECK(c->warm_pool.memory_mib == 128);
}

TEST_CASE("config: bad values are named") {
  cfg::Spec spec("t", "t");
  auto fields = declare_worker_config(spec);
  auto loaded =
      spec.load(cfg::map_env({{"AETHER_WORKER_ID", "bad id!"}, {"AETHER_CAPACITY_VCPUS", "-1"}}));
  REQUIRE_FALSE(loaded);
  CHECK_THAT(loaded.error().message,
             Catch::Contains("AETHER_WORKER_ID") && Catch::Contains("AETHER_CAPACITY_VCPUS"));

  cfg::Spec spec2("t", "t");
  auto f2 = declare_worker_config(spec2);
  REQUIRE(spec2.load(cfg::map_env({{"AETHER_WORKER_ID", "w"},
                                   {"AETHER_WARM_POOL_SIZE", "1"},
                                   {"AETHER_WARM_POOL_TEMPLATE", "nope"}})));
  auto c = build_worker_config(*f2, "1");
  REQUIRE_FALSE(c);
  CHECK_THAT(c.error().message, Catch::Contains("AETHER_WARM_POOL_TEMPLATE='nope'"));
}

TEST_CASE("config: template items must be name=dir") {
  CHECK_FALSE(parse_templates("/g", {"nodir"}));
  CHECK_FALSE(parse_templates("/g", {"=x"}));
  CHECK_FALSE(parse_templates("/g", {"a.b=/x"}));
  auto ok = parse_templates("/g", {"a=/x", "default=/y"});
  REQUIRE(ok);
  CHECK(ok->at("default").kernel == "/y/vmlinux");
}

TEST_CASE("config: the stop grace and its maximum") {
  cfg::Spec spec("t", "t");
  auto fields = declare_worker_config(spec);
  REQUIRE(spec.load(cfg::map_env({{"AETHER_WORKER_ID", "w1"},
                                  {"AETHER_STOP_GRACE", "10s"},
                                  {"AETHER_STOP_MAX_GRACE", "1m"}})));
  auto c = build_worker_config(*fields, "1");
  REQUIRE(c);
  CHECK(c->limits.default_stop_grace == std::chrono::seconds(10));
  CHECK(c->limits.max_stop_grace == std::chrono::minutes(1));

  cfg::Spec spec2("t", "t");
  auto f2 = declare_worker_config(spec2);
  REQUIRE(spec2.load(cfg::map_env(
      {{"AETHER_WORKER_ID", "w1"}, {"AETHER_STOP_GRACE", "2m"}, {"AETHER_STOP_MAX_GRACE", "1m"}})));
  auto bad = build_worker_config(*f2, "1");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message,
             Catch::Contains("AETHER_STOP_GRACE") && Catch::Contains("AETHER_STOP_MAX_GRACE"));
}

namespace {

// Loads `env` on a node of 2 cores and 24000 MiB; the error text, or "" when valid.
std::string problems_on_small_node(std::map<std::string, std::string> env) {
  cfg::Spec spec("t", "t");
  auto fields = declare_worker_config(spec, NodeFacts{2, 24000});
  env["AETHER_WORKER_ID"] = "w1";
  auto loaded = spec.load(cfg::map_env(env));
  if (!loaded) return loaded.error().message;
  auto c = build_worker_config(*fields, "1");
  return c ? "" : c.error().message;
}

}  // namespace

TEST_CASE("config: capacity comes from the node by default") {
  cfg::Spec spec("t", "t");
  auto fields = declare_worker_config(spec, NodeFacts{2, 24000});
  REQUIRE(spec.load(cfg::map_env({{"AETHER_WORKER_ID", "w1"}})));
  auto c = build_worker_config(*fields, "1");
  REQUIRE(c);
  // 2 cores x overcommit 4; 24000 MiB - the 2 GiB reserve; 32 VMs.
  CHECK(c->capacity == Resources{8, 24000 - 2048, 32});
  // Per-VM limits well below the node: several VMs of the largest size fit.
  CHECK(c->limits.max_vcpus * 4 <= c->capacity.vcpus);
  CHECK(c->limits.max_memory_mib * 4 <= c->capacity.memory_mib);
  CHECK(c->classes == aether::bus::default_vm_classes());
  CHECK_THAT(describe(c->capacity_source, c->capacity),
             Catch::Contains("8 vCPU, 21952 MiB, 32 VM") &&
                 Catch::Contains("2 cores x overcommit 4") &&
                 Catch::Contains("host 24000 MiB - reserve 2048 MiB"));
  // --check-config's derived lines: the values used, not the raw 0.
  const auto effective = describe_effective(*c);
  CHECK_THAT(effective, Catch::Contains("AETHER_CAPACITY_VCPUS=8  # derived: 2 cores x "
                                        "AETHER_CPU_OVERCOMMIT 4"));
  CHECK_THAT(effective, Catch::Contains("AETHER_CAPACITY_MEMORY=21952MiB  # derived: host 24000 "
                                        "MiB - AETHER_HOST_RESERVE_MEMORY 2048 MiB"));
  CHECK_THAT(effective, Catch::Contains("AETHER_CAPACITY_MAX_VMS=32"));
  CHECK_THAT(effective, Catch::Contains("large=2x2048MiB"));  // capped by the per-VM limits

  cfg::Spec spec2("t", "t");
  auto f2 = declare_worker_config(spec2, NodeFacts{2, 24000});
  REQUIRE(spec2.load(cfg::map_env({{"AETHER_WORKER_ID", "w1"},
                                   {"AETHER_CPU_OVERCOMMIT", "1.5"},
                                   {"AETHER_HOST_RESERVE_MEMORY", "8000MiB"},
                                   {"AETHER_VM_CLASSES", "tiny=1x256,big=2x4GiB"}})));
  auto c2 = build_worker_config(*f2, "1");
  REQUIRE(c2);
  CHECK(c2->capacity == Resources{3, 16000, 32});
  REQUIRE(c2->classes.size() == 2);
  CHECK(c2->classes[1] == aether::bus::VmClass{"big", 2, 4096});

  // Explicit values win over the node.
  cfg::Spec spec3("t", "t");
  auto f3 = declare_worker_config(spec3, NodeFacts{2, 24000});
  REQUIRE(spec3.load(cfg::map_env({{"AETHER_WORKER_ID", "w1"},
                                   {"AETHER_CAPACITY_VCPUS", "6"},
                                   {"AETHER_CAPACITY_MEMORY", "4GiB"},
                                   {"AETHER_CAPACITY_MAX_VMS", "5"}})));
  auto c3 = build_worker_config(*f3, "1");
  REQUIRE(c3);
  CHECK(c3->capacity == Resources{6, 4096, 5});
  CHECK_THAT(describe_effective(*c3), Catch::Contains("AETHER_CAPACITY_VCPUS=6  # as set"));
}

TEST_CASE("config: bad capacity settings name the variable and the rule") {
  CHECK_THAT(problems_on_small_node({{"AETHER_CPU_OVERCOMMIT", "0.5"}}),
             Catch::Contains("AETHER_CPU_OVERCOMMIT=0.5") &&
                 Catch::Contains("must be a number from 1 to 64"));
  CHECK_THAT(problems_on_small_node({{"AETHER_CPU_OVERCOMMIT", "four"}}),
             Catch::Contains("AETHER_CPU_OVERCOMMIT=four"));
  CHECK_THAT(problems_on_small_node({{"AETHER_HOST_RESERVE_MEMORY", "30GiB"}}),
             Catch::Contains("AETHER_HOST_RESERVE_MEMORY=30GiB") &&
                 Catch::Contains("must be below the host's memory (24000 MiB)"));
  CHECK_THAT(problems_on_small_node({{"AETHER_CAPACITY_MEMORY", "1GiB"}}),
             Catch::Contains("AETHER_VM_MAX_MEMORY") &&
                 Catch::Contains("must not exceed the worker's memory capacity of 1024 MiB"));
  CHECK_THAT(problems_on_small_node({{"AETHER_VM_MAX_VCPUS", "16"}}),
             Catch::Contains("AETHER_VM_MAX_VCPUS=16") &&
                 Catch::Contains("must not exceed the worker's vCPU capacity of 8"));
  CHECK_THAT(problems_on_small_node({{"AETHER_VM_CLASSES", "small=1x512,medium=2x1GiB"}}),
             Catch::Contains("AETHER_VM_CLASSES") &&
                 Catch::Contains("no class holds a VM of 2 vCPU / 2048 MiB") &&
                 Catch::Contains("every valid VM size needs a class"));
  CHECK_THAT(problems_on_small_node({{"AETHER_VM_CLASSES", "big=4x4GiB,small=1x512"}}),
             Catch::Contains("AETHER_VM_CLASSES") && Catch::Contains("smallest first"));
  CHECK_THAT(problems_on_small_node({{"AETHER_VM_CLASSES", "a=1"}}),
             Catch::Contains("AETHER_VM_CLASSES") && Catch::Contains("name=VCPUSxMEMORY"));
  CHECK(problems_on_small_node({}).empty());
}
