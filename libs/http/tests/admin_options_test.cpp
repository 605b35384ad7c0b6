#include <catch2/catch.hpp>

#include "aether/http/admin_options.hpp"

using namespace aether;

TEST_CASE("AdminOptions declares AETHER_ADMIN_ADDR and AETHER_ADMIN_PORT with rules") {
  config::Spec spec("aether-test", "test");
  http::AdminOptions admin(spec, 9091);
  REQUIRE(spec.load(config::map_env({})));
  CHECK(admin.options().host == "0.0.0.0");
  CHECK(admin.options().port == 9091);

  REQUIRE(
      spec.load(config::map_env({{"AETHER_ADMIN_ADDR", "127.0.0.1"}, {"AETHER_ADMIN_PORT", "0"}})));
  CHECK(admin.options().host == "127.0.0.1");
  CHECK(admin.options().port == 0);

  auto bad =
      spec.load(config::map_env({{"AETHER_ADMIN_ADDR", ""}, {"AETHER_ADMIN_PORT", "65536"}}));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().problems ==
        std::vector<std::string>{"AETHER_ADMIN_ADDR=\"\": must be an IP address or host name",
                                 "AETHER_ADMIN_PORT=65536: must be between 0 and 65535"});
}

TEST_CASE("process metrics name the build and the start time") {
  http::Registry reg;
  http::register_process_metrics(reg, "aether-api", "1.2.3");
  const std::string text = reg.serialize();
  CHECK(text.find("aether_build_info{service=\"aether-api\",version=\"1.2.3\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds 1") !=
        std::string::npos);
}
