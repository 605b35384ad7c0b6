#include <catch2/catch.hpp>

#include "aether/bus/micro.hpp"

using namespace aether::bus;
using namespace std::chrono_literals;

namespace {
ServiceInfo sample() {
  ServiceInfo info;
  info.config = {"vm-worker", "1.2.3", "runs microVMs", {{"node", "n1"}}};
  info.id = "ABCDEFGHIJKLMNOPQRSTUV";
  info.started = std::chrono::system_clock::time_point(1700000000s + 123456789ns);
  EndpointInfo exec;
  exec.config = {"exec", "aether.vm.*.exec", "q", {{"schema", "ExecRequest"}}, ""};
  exec.stats.num_requests = 4;
  exec.stats.num_errors = 1;
  exec.stats.last_error = "404:vm not found";
  exec.stats.processing_time = 4000ns;
  info.endpoints.push_back(exec);
  EndpointInfo idle;
  idle.config = {"status", "aether.vm.*.status", "q", {}, ""};
  info.endpoints.push_back(idle);
  return info;
}
}  // namespace

TEST_CASE("micro ping carries type and name and id and version and metadata") {
  auto j = micro_ping_json(sample());
  CHECK(j["type"] == "io.nats.micro.v1.ping_response");
  CHECK(j["name"] == "vm-worker");
  CHECK(j["id"] == "ABCDEFGHIJKLMNOPQRSTUV");
  CHECK(j["version"] == "1.2.3");
  CHECK(j["metadata"]["node"] == "n1");
}

TEST_CASE("micro info lists endpoints with subject and queue group and metadata") {
  auto j = micro_info_json(sample());
  CHECK(j["type"] == "io.nats.micro.v1.info_response");
  CHECK(j["description"] == "runs microVMs");
  REQUIRE(j["endpoints"].size() == 2);
  CHECK(j["endpoints"][0]["name"] == "exec");
  CHECK(j["endpoints"][0]["subject"] == "aether.vm.*.exec");
  CHECK(j["endpoints"][0]["queue_group"] == "q");
  CHECK(j["endpoints"][0]["metadata"]["schema"] == "ExecRequest");
  CHECK(j["endpoints"][1]["metadata"].is_object());
}

TEST_CASE("micro stats counts in nanoseconds and prints started as RFC 3339") {
  auto j = micro_stats_json(sample());
  CHECK(j["type"] == "io.nats.micro.v1.stats_response");
  CHECK(j["started"] == "2023-11-14T22:13:20.123456789Z");
  auto e = j["endpoints"][0];
  CHECK(e["num_requests"] == 4);
  CHECK(e["num_errors"] == 1);
  CHECK(e["last_error"] == "404:vm not found");
  CHECK(e["processing_time"] == 4000);
  CHECK(e["average_processing_time"] == 1000);
  CHECK(j["endpoints"][1]["average_processing_time"] == 0);
}

TEST_CASE("micro names and versions follow the spec's rules") {
  CHECK(validate_service_config({"vm-worker", "1.0.0", "", {}}));
  CHECK_FALSE(validate_service_config({"vm worker", "1.0.0", "", {}}));
  CHECK_FALSE(validate_service_config({"", "1.0.0", "", {}}));
  auto bad_version = validate_service_config({"api", "1.0", "", {}});
  REQUIRE_FALSE(bad_version);
  CHECK(bad_version.error().message.find("version") != std::string::npos);
  CHECK(validate_service_config({"api", "1.0.0-rc.1+build.5", "", {}}));
  CHECK(validate_service_config({"api", "10.20.30", "", {}}));
  CHECK_FALSE(validate_service_config({"api", "01.0.0", "", {}}));
  CHECK_FALSE(validate_service_config({"api", "1.0.0-01", "", {}}));
  CHECK_FALSE(validate_service_config({"api", "1.0.0-", "", {}}));
  CHECK_FALSE(validate_service_config({"api", "1.0.0+a..b", "", {}}));
  CHECK_FALSE(validate_service_config({"api", "1.0.0.0", "", {}}));
  CHECK(validate_endpoint_config({"exec", "aether.vm.*.exec", "q", {}, ""}));
  CHECK_FALSE(validate_endpoint_config({"exec", "a b", "q", {}, ""}));
  CHECK_FALSE(validate_endpoint_config({"exec", "a.>.b", "q", {}, ""}));
  CHECK_FALSE(validate_endpoint_config({"ex.ec", "a.b", "q", {}, ""}));
}
