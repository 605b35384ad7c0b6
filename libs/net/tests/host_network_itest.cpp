// HostNetwork against the real kernel: a bridge, TAPs and an nftables table
// with names unique to this process (pid), removed at the end of each test.
#include <net/if.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "aether/devstack/shell.hpp"
#include "aether/net/host_network.hpp"

using namespace aether::net;

namespace {

NetworkConfig test_config() {
  const auto pid = std::to_string(::getpid());
  NetworkConfig c;
  c.bridge = "aetb" + pid;
  c.table = "aether_t" + pid;
  c.subnet = "10.250." + std::to_string(::getpid() % 256) + ".0/24";
  return c;
}

std::string command_output(const std::string& command) {
  return aether::devstack::run_command(command).output;
}

bool link_exists(const std::string& name) { return ::if_nametoindex(name.c_str()) != 0; }

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Sets the network up (the test stops if that fails) and tears it down even
// when a REQUIRE fails half-way.
struct Guard {
  std::unique_ptr<HostNetwork> net;
  explicit Guard(const NetworkConfig& config) {
    auto setup = HostNetwork::setup(config);
    INFO((setup ? "" : setup.error().message));
    REQUIRE(setup);
    net = std::move(*setup);
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  ~Guard() {
    if (net) (void)net->teardown();
  }
};

}  // namespace

TEST_CASE("host network: attach and detach a VM") {
  REQUIRE(::geteuid() == 0);
  const auto config = test_config();
  Guard g(config);
  auto& net = *g.net;
  CHECK(link_exists(config.bridge));
  CHECK(read_file("/proc/sys/net/ipv4/ip_forward") == "1\n");

  auto a = net.attach("vm-a", {"198.18.0.1:8080"});
  INFO((a ? "" : a.error().message));
  REQUIRE(a);
  CHECK(a->guest_address == net.gateway().substr(0, net.gateway().size() - 1) + "2");
  CHECK(a->kernel_arg() == a->guest_address + "/24," + net.gateway());
  CHECK(link_exists(a->tap));
  const std::string port = "/sys/class/net/" + a->tap + "/brport/";
  CHECK(read_file(port + "isolated") == "1\n");
  CHECK(read_file(port + "learning") == "0\n");
  CHECK(read_file("/sys/class/net/" + a->tap + "/master/uevent").find(config.bridge) !=
        std::string::npos);

  // The rules are in the table, listed through libnftables.
  auto listed = net.list_table();
  REQUIRE(listed);
  CHECK_THAT(*listed, Catch::Contains("chain vm_" + a->tap));
  CHECK_THAT(*listed,
             Catch::Contains("ip daddr 198.18.0.1 meta l4proto { tcp, udp } th dport 8080 accept"));
  CHECK_THAT(*listed, Catch::Contains("type filter hook ingress device \"" + a->tap + "\""));
  CHECK_THAT(*listed, Catch::Contains("ip saddr != " + a->guest_address + " counter packets 0"));
  // Pinned: the guest's MAC on its port (static), its address on the bridge (permanent).
  CHECK_THAT(command_output("bridge fdb show dev " + a->tap),
             Catch::Contains(a->mac + " master " + config.bridge + " static"));
  CHECK_THAT(command_output("ip neigh show dev " + config.bridge),
             Catch::Contains(a->guest_address + " lladdr " + a->mac + " PERMANENT"));
  CHECK_THAT(*listed, Catch::Contains(a->guest_address + " : jump vm_" + a->tap));
  CHECK_THAT(*listed, Catch::Contains("masquerade"));

  // Attaching twice is refused; detaching removes TAP and rules.
  CHECK_FALSE(net.attach("vm-a", {}));
  REQUIRE(net.detach("vm-a"));
  CHECK_FALSE(link_exists(a->tap));
  CHECK_THAT(command_output("ip neigh show dev " + config.bridge),
             !Catch::Contains(a->guest_address + " "));
  listed = net.list_table();
  REQUIRE(listed);
  CHECK_THAT(*listed, !Catch::Contains(a->tap));
  auto again = net.detach("vm-a");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::kNotFound);

  // Teardown removes the table and the bridge.
  REQUIRE(net.teardown());
  CHECK_FALSE(link_exists(config.bridge));
  g.net.reset();
}

TEST_CASE("host network: addresses are allocated lowest-free and reused") {
  REQUIRE(::geteuid() == 0);
  auto config = test_config();
  config.subnet = "10.251." + std::to_string(::getpid() % 256) + ".0/29";  // 5 guests
  config.tap_owner = 65534;                                                // the VMM's user
  Guard g(config);
  auto& net = *g.net;
  std::vector<std::string> addresses;
  for (int i = 0; i < 5; ++i) {
    auto a = net.attach("vm-" + std::to_string(i), {});
    INFO((a ? "" : a.error().message));
    REQUIRE(a);
    addresses.push_back(a->guest_address);
    CHECK(read_file("/sys/class/net/" + a->tap + "/owner") == "65534\n");
  }
  const std::string base = "10.251." + std::to_string(::getpid() % 256) + ".";
  CHECK(addresses ==
        std::vector<std::string>{base + "2", base + "3", base + "4", base + "5", base + "6"});
  auto full = net.attach("vm-full", {});
  REQUIRE_FALSE(full);
  CHECK(full.error().code == Errc::kExhausted);
  CHECK_FALSE(net.attachment("vm-full"));

  REQUIRE(net.detach("vm-1"));
  auto reused = net.attach("vm-new", {});
  REQUIRE(reused);
  CHECK(reused->guest_address == base + "3");
}

TEST_CASE("host network: hostile egress entries are refused and leave nothing behind") {
  REQUIRE(::geteuid() == 0);
  const auto config = test_config();
  Guard g(config);
  auto& net = *g.net;
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"1.1.1.1", "example.com:443"},
        std::vector<std::string>{"1.2.3.4 } ; flush ruleset ; {"},
        std::vector<std::string>{"10.0.0.0/8\nadd rule inet filter input accept"}}) {
    auto a = net.attach("vm-bad", bad);
    REQUIRE_FALSE(a);
    CHECK(a.error().code == Errc::kInvalidEgress);
  }
  auto a = net.attach("vm-bad", {"1.1.1.1", "example.com:443"});
  REQUIRE_FALSE(a);
  CHECK(a.error().message ==
        "egress_allow[1]: 'example.com:443': hostnames are not supported, give an IPv4 address or "
        "CIDR");
  CHECK_FALSE(net.attachment("vm-bad"));
  CHECK_FALSE(link_exists(tap_name(config.bridge, "vm-bad")));
  auto listed = net.list_table();
  REQUIRE(listed);
  CHECK_THAT(*listed, !Catch::Contains("jump vm_"));

  // A device that is not a TAP under the VM's TAP name is not ours to delete.
  const auto taken = tap_name(config.bridge, "vm-taken");
  REQUIRE(std::system(("ip link add " + taken + " type veth peer name " + taken + "p").c_str()) ==
          0);
  auto refused = net.attach("vm-taken", {});
  CHECK(std::system(("ip link del " + taken).c_str()) == 0);  // it was still there
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kTap);
  CHECK_THAT(refused.error().message, Catch::Contains("taken by a 'veth' device"));
}

TEST_CASE("host network: a new run removes the TAPs and rules an old one left") {
  REQUIRE(::geteuid() == 0);
  const auto config = test_config();
  std::string left_tap;
  {
    auto first = HostNetwork::setup(config);
    INFO((first ? "" : first.error().message));
    REQUIRE(first);
    auto a = (*first)->attach("vm-left", {});
    REQUIRE(a);
    left_tap = a->tap;
    // Dropped without teardown, as a crash would leave it.
  }
  REQUIRE(link_exists(left_tap));
  Guard g(config);  // the next run
  auto listed = g.net->list_table();
  REQUIRE(listed);
  CHECK_THAT(*listed, !Catch::Contains(left_tap));  // setup replaced the table
  auto removed = g.net->cleanup_stale();
  REQUIRE(removed);
  CHECK(*removed == std::vector<std::string>{left_tap});
  CHECK_FALSE(link_exists(left_tap));
  // The address is free again in the new run.
  auto b = g.net->attach("vm-next", {});
  REQUIRE(b);
  CHECK(b->guest_address.ends_with(".2"));
}
