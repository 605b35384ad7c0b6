#include <catch2/catch.hpp>

#include "aether/net/egress.hpp"
#include "aether/net/host_network.hpp"

using namespace aether::net;

TEST_CASE("egress: the four entry forms parse") {
  auto r = parse_egress_allow({"1.2.3.4", "10.0.0.0/8", "198.18.0.1:443", "0.0.0.0/0:53"});
  REQUIRE(r);
  REQUIRE(r->size() == 4);
  CHECK((*r)[0] == EgressRule{{0x01020304, 32}, std::nullopt});
  CHECK((*r)[1] == EgressRule{{0x0a000000, 8}, std::nullopt});
  CHECK((*r)[2] == EgressRule{{0xc6120001, 32}, 443});
  CHECK((*r)[3] == EgressRule{{0, 0}, 53});
  CHECK(parse_egress_allow({})->empty());
}

TEST_CASE("egress: hostile and malformed entries are refused naming index and rule") {
  auto message = [](std::vector<std::string> entries) {
    auto r = parse_egress_allow(entries);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidEgress);
    return r.error().message;
  };
  CHECK(message({"1.1.1.1", "8.8.8.8", "example.com:443"}) ==
        "egress_allow[2]: 'example.com:443': hostnames are not supported, give an IPv4 address "
        "or CIDR");
  CHECK_THAT(message({"::1"}), Catch::Contains("IPv6 is not supported"));
  CHECK_THAT(message({"[2001:db8::1]:443"}), Catch::Contains("IPv6"));
  CHECK_THAT(message({""}), Catch::Contains("egress_allow[0]: '': is empty"));
  CHECK_THAT(message({"1.2.3.4:0"}), Catch::Contains("port after ':' must be a number 1-65535"));
  CHECK_THAT(message({"1.2.3.4:65536"}), Catch::Contains("1-65535"));
  CHECK_THAT(message({"1.2.3.4:"}), Catch::Contains("port"));
  CHECK_THAT(message({"1.2.3.4/33"}), Catch::Contains("prefix length"));
  CHECK_THAT(message({"10.0.0.5/8"}), Catch::Contains("did you mean 10.0.0.0/8?"));
  CHECK_THAT(message({"256.1.1.1"}), Catch::Contains("not an IPv4 address"));
  CHECK_THAT(message({"01.2.3.4"}), Catch::Contains("no leading zeros"));
  CHECK_THAT(message({"1.2.3"}), Catch::Contains("not an IPv4 address"));
  CHECK_THAT(message({"1.2.3.4 "}), Catch::Contains("not an IPv4 address"));
  CHECK_THAT(message({"1.2.3.4;drop"}), Catch::Contains("not an IPv4 address"));
  CHECK_THAT(message({"1.2.3.4\n}"}), Catch::Contains("'1.2.3.4?}'"));
  CHECK_THAT(message({"1.2.3.4:80 accept"}), Catch::Contains("egress_allow[0]"));
  CHECK_THAT(message({std::string(100, '1')}), Catch::Contains("longer than 64"));
  CHECK_THAT(message(std::vector<std::string>(300, "1.1.1.1")), Catch::Contains("at most 256"));
  auto named = parse_egress_allow({"x.y"}, "spec.egress_allow");
  REQUIRE_FALSE(named);
  CHECK_THAT(named.error().message, Catch::StartsWith("spec.egress_allow[0]: 'x.y': hostnames"));
}

TEST_CASE("egress: networks cover and format") {
  auto ten = *parse_cidr("10.0.0.0/8");
  CHECK(ten.covers(*parse_cidr("10.200.0.0/16")));
  CHECK_FALSE(parse_cidr("10.200.0.0/16")->covers(ten));
  CHECK(ten.str() == "10.0.0.0/8");
  CHECK(parse_cidr("1.2.3.4")->str() == "1.2.3.4");
  CHECK(format_ipv4(0xc0a80101) == "192.168.1.1");
  CHECK(special_ranges().size() == 9);
}

TEST_CASE("net config: names, subnet and table are checked") {
  CHECK(validate(NetworkConfig{}));
  NetworkConfig c;
  c.bridge = "a-very-long-bridge-name";
  CHECK_THAT(validate(c).error().message, Catch::Contains("NetworkConfig.bridge"));
  c = {};
  c.subnet = "10.200.0.0/30";
  CHECK_THAT(validate(c).error().message, Catch::Contains("8..29"));
  c.subnet = "10.200.0.1/16";
  CHECK_THAT(validate(c).error().message, Catch::Contains("host bits"));
  c = {};
  c.table = "bad table";
  CHECK_THAT(validate(c).error().message, Catch::Contains("NetworkConfig.table"));
}

TEST_CASE("net names: TAP names fit IFNAMSIZ and MACs are stable") {
  const auto tap = tap_name("aether0", "0190f2b8-7c1e-7abc-9def-0123456789ab");
  CHECK(tap.size() <= 15);
  CHECK(tap.starts_with("aet"));
  CHECK(tap == tap_name("aether0", "0190f2b8-7c1e-7abc-9def-0123456789ab"));
  CHECK(tap != tap_name("aether1", "0190f2b8-7c1e-7abc-9def-0123456789ab"));
  CHECK(guest_mac("vm-1") == guest_mac("vm-1"));
  CHECK(guest_mac("vm-1") != guest_mac("vm-2"));
  CHECK(guest_mac("vm-1").starts_with("02:"));
  CHECK(guest_mac("vm-1").size() == 17);
}
