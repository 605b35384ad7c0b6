#include <catch2/catch.hpp>

#include "guest_net.hpp"

using namespace aether::vm_agent;

TEST_CASE("guest net: aether.net= parses address, prefix and gateway") {
  std::string problem;
  auto net = parse_guest_net("10.200.0.5/16,10.200.0.1", problem);
  REQUIRE(net);
  CHECK(net->address == 0x0ac80005);
  CHECK(net->prefix == 16);
  CHECK(net->gateway == 0x0ac80001);
  CHECK(format_guest_net(*net) == "10.200.0.5/16 via 10.200.0.1");
}

TEST_CASE("guest net: bad values are refused with the reason") {
  for (const char* bad :
       {"", "10.200.0.5", "10.200.0.5/16", "10.200.0.5,10.200.0.1", "10.200.0.5/0,10.200.0.1",
        "10.200.0.5/31,10.200.0.4", "10.200.0.5/x,10.200.0.1", "10.200.0.256/16,10.200.0.1",
        "10.200.0.5/16,example.com"}) {
    std::string problem;
    INFO(bad);
    CHECK_FALSE(parse_guest_net(bad, problem));
    CHECK_THAT(problem, Catch::Contains("aether.net"));
  }
  std::string problem;
  CHECK_FALSE(parse_guest_net("10.200.0.5/16,10.201.0.1", problem));
  CHECK_THAT(problem, Catch::Contains("must be another address in 10.200.0.0/16"));
  CHECK_FALSE(parse_guest_net("10.200.0.5/16,10.200.0.5", problem));
}
