// ProvisionOptions: AETHER_PROVISION and AETHER_STREAM_REPLICAS, read and refused.
#include <catch2/catch.hpp>

#include "aether/service/provision_options.hpp"

namespace config = aether::config;
using aether::service::ProvisionOptions;

TEST_CASE("provision options: defaults, the replica count, off, and bad values named") {
  SECTION("defaults: provision with one replica") {
    config::Spec spec("t", "test");
    ProvisionOptions options(spec);
    REQUIRE(spec.load(config::map_env({})));
    auto c = options.config();
    REQUIRE(c);
    CHECK(c->replicas == 1);
  }
  SECTION("3 replicas, the rest of the base kept") {
    config::Spec spec("t", "test");
    ProvisionOptions options(spec);
    REQUIRE(spec.load(config::map_env({{"AETHER_STREAM_REPLICAS", "3"}})));
    aether::bus::ProvisionConfig base;
    base.vm_create_max_deliver = 9;
    auto c = options.config(base);
    REQUIRE(c);
    CHECK(c->replicas == 3);
    CHECK(c->vm_create_max_deliver == 9);
  }
  SECTION("AETHER_PROVISION=false: nothing to provision") {
    config::Spec spec("t", "test");
    ProvisionOptions options(spec);
    REQUIRE(spec.load(config::map_env({{"AETHER_PROVISION", "false"}})));
    CHECK_FALSE(options.config());
  }
  SECTION("a replica count out of 1-5 is refused, naming the variable") {
    for (const char* bad : {"0", "6", "three"}) {
      config::Spec spec("t", "test");
      ProvisionOptions options(spec);
      auto loaded = spec.load(config::map_env({{"AETHER_STREAM_REPLICAS", bad}}));
      REQUIRE_FALSE(loaded);
      CHECK_THAT(loaded.error().message, Catch::Contains("AETHER_STREAM_REPLICAS"));
    }
  }
}
