#include <catch2/catch.hpp>

#include "ruleset.hpp"

using namespace aether::net;

namespace {

Attachment vm() {
  Attachment a;
  a.vm_id = "vm-1";
  a.tap = "aet0011aabb";
  a.mac = "02:01:02:03:04:05";
  a.guest_address = "10.200.0.2";
  a.prefix = 16;
  a.gateway = "10.200.0.1";
  return a;
}

}  // namespace

TEST_CASE("ruleset: base table replaces the table and NATs the subnet") {
  const auto text = ruleset::base_table(NetworkConfig{}, *parse_cidr("10.200.0.0/16"));
  CHECK_THAT(text, Catch::StartsWith("add table inet aether\ndelete table inet aether\n"));
  CHECK_THAT(text, Catch::Contains("ip saddr 10.200.0.0/16 oifname != \"aether0\" masquerade"));
  CHECK_THAT(text, Catch::Contains("iifname \"aether0\" drop"));
  // 10.200/16 is inside 10/8 already: not listed twice (intervals may not overlap).
  CHECK_THAT(text, !Catch::Contains(", 10.200.0.0/16"));
  const auto other = ruleset::base_table(NetworkConfig{}, *parse_cidr("198.51.100.0/24"));
  CHECK_THAT(other, Catch::Contains(", 198.51.100.0/24 }"));
}

TEST_CASE("ruleset: empty allow-list reaches public addresses, not private ones") {
  const auto text = ruleset::vm_add(NetworkConfig{}, *parse_cidr("10.200.0.0/16"), vm(), {});
  CHECK(text.find("ip daddr @denied reject") < text.find("vm_aet0011aabb accept"));
  CHECK_THAT(text, Catch::Contains("ether saddr != 02:01:02:03:04:05 counter drop"));
  CHECK_THAT(text, Catch::Contains("ip saddr != 10.200.0.2 counter drop"));
  CHECK_THAT(text, Catch::Contains("vm_chains { 10.200.0.2 : jump vm_aet0011aabb }"));
}

TEST_CASE("ruleset: only listed entries pass and a named private range goes before the deny") {
  auto egress = parse_egress_allow({"198.18.0.1:8080", "192.168.5.0/24", "0.0.0.0/0:53"});
  REQUIRE(egress);
  const auto text = ruleset::vm_add(NetworkConfig{}, *parse_cidr("10.200.0.0/16"), vm(), *egress);
  const auto deny = text.find("ip daddr @denied reject");
  CHECK(text.find("ip daddr 192.168.5.0/24 accept") < deny);
  CHECK(text.find("ip daddr 198.18.0.1 meta l4proto { tcp, udp } th dport 8080 accept") > deny);
  CHECK(text.find("meta nfproto ipv4 meta l4proto { tcp, udp } th dport 53 accept") > deny);
  CHECK_THAT(text, Catch::EndsWith("vm_chains { 10.200.0.2 : jump vm_aet0011aabb }\n"));
  CHECK_THAT(text, Catch::Contains("vm_aet0011aabb reject with icmpx admin-prohibited"));

  NetworkConfig open;
  open.deny_private = false;
  const auto no_deny = ruleset::vm_add(open, *parse_cidr("10.200.0.0/16"), vm(), *egress);
  CHECK_THAT(no_deny, !Catch::Contains("@denied"));
}
