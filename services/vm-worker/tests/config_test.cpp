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
  CHECK(c->capacity == Resources{4, 2048, 8});
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
      spec.load(cfg::map_env({{"AETHER_WORKER_ID", "bad id!"}, {"AETHER_CAPACITY_VCPUS", "0"}}));
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
