#include <catch2/catch.hpp>

#include "spec_rules.hpp"

using namespace aether::worker;
using namespace aether;

namespace {

const std::map<std::string, GuestTemplate> kTemplates{{"default", {"/k", "/i"}},
                                                      {"python", {"/k2", "/i2"}}};
const Resources kNode{4, 4096, 8};

v1::VmSpec good() {
  v1::VmSpec s;
  s.set_template_("default");
  s.set_vcpus(1);
  s.set_memory_mib(256);
  return s;
}

std::string reason(const v1::VmSpec& s, VmLimits limits = {}, bool network = false) {
  return impossible_reason(s, limits, kNode, kTemplates, network).value_or("");
}

}  // namespace

TEST_CASE("spec rules: a reasonable spec passes") {
  CHECK_FALSE(impossible_reason(good(), {}, kNode, kTemplates, false).has_value());
  CHECK(resources_of(good()) == Resources{1, 256, 1});
}

TEST_CASE("spec rules: impossible specs name the field and the rule") {
  auto s = good();
  s.set_vcpus(0);
  CHECK_THAT(reason(s), Catch::Contains("spec.vcpus is 0"));
  s = good();
  s.set_vcpus(3);
  CHECK_THAT(reason(s), Catch::Contains("per-VM limit of 2"));
  s = good();
  s.set_memory_mib(8192);
  CHECK_THAT(reason(s), Catch::Contains("more than this node has (4096 MiB)"));
  s = good();
  s.set_memory_mib(16);
  CHECK_THAT(reason(s), Catch::Contains("under the minimum"));
  s = good();
  s.set_template_("ruby");
  CHECK_THAT(reason(s), Catch::Contains("'ruby' is unknown") && Catch::Contains("default, python"));
  s = good();
  s.set_template_("");
  CHECK_THAT(reason(s), Catch::Contains("spec.template is empty"));
  s = good();
  s.set_network(true);
  CHECK_THAT(reason(s), Catch::Contains("spec.network is not supported") &&
                            Catch::Contains("AETHER_NETWORK=off"));
  s = good();
  (*s.mutable_env())["A=B"] = "x";
  CHECK_THAT(reason(s), Catch::Contains("spec.env key"));
}

TEST_CASE("spec rules: a TTL limit requires a TTL within it") {
  VmLimits limits;
  limits.max_ttl_seconds = 600;
  auto s = good();
  CHECK_THAT(reason(s, limits), Catch::Contains("spec.ttl_seconds 0"));
  s.set_ttl_seconds(601);
  CHECK_THAT(reason(s, limits), Catch::Contains("between 1 and 600"));
  s.set_ttl_seconds(60);
  CHECK(reason(s, limits).empty());
}

TEST_CASE("spec rules: malformed commands have no usable vm id") {
  v1::CreateVm c;
  CHECK(malformed_reason(c).value_or("") == "vm_id is empty");
  c.set_vm_id("a.b");
  CHECK_THAT(malformed_reason(c).value_or(""), Catch::Contains("[A-Za-z0-9_-]"));
  c.set_vm_id("01J9ZK3Y-abc_1");
  CHECK_FALSE(malformed_reason(c).has_value());
  c.set_vm_id(std::string(65, 'a'));
  CHECK(malformed_reason(c).has_value());
}

TEST_CASE("spec rules: egress entries are checked when networking is on") {
  auto s = good();
  s.set_network(true);
  CHECK(reason(s, {}, true).empty());
  s.add_egress_allow("198.18.0.1:8080");
  s.add_egress_allow("10.0.0.0/8");
  CHECK(reason(s, {}, true).empty());
  s.add_egress_allow("example.com:443");
  CHECK(reason(s, {}, true) ==
        "spec.egress_allow[2]: 'example.com:443': hostnames are not supported, give an IPv4 "
        "address or CIDR");
  s.set_egress_allow(2, "10.0.0.1/8");
  CHECK_THAT(reason(s, {}, true),
             Catch::Contains("spec.egress_allow[2]") && Catch::Contains("host bits"));
  s = good();
  s.add_egress_allow("1.1.1.1");
  CHECK_THAT(reason(s, {}, true), Catch::Contains("spec.network is false"));
}
