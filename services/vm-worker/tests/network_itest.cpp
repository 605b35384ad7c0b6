// Per-VM networking end to end: a real worker (AETHER_NETWORK=on) boots two
// networked VMs under QEMU/TCG; a fake "internet" host lives in a network
// namespace of this test behind a veth pair (198.18.0.0/24, the benchmark
// range, routed only through that veth). Commands in the guests show what
// their rules allow and block. Needs root (CI runs as root).
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>

#include "aether/devstack/shell.hpp"
#include "aether/net/host_network.hpp"
#include "aether/v1/exec.pb.h"
#include "aether/vmm/runtime.hpp"
#include "itest_support.hpp"
#include "worker.hpp"

using namespace aether;
using namespace aether::worker;
using namespace aether::worker::testing;

namespace {

constexpr const char* kInternet = "198.18.0.1";
constexpr int kAllowedPort = 18080;
constexpr int kOtherPort = 18081;

int sh(const std::string& command) {
  const int rc = std::system((command + " >/dev/null 2>&1").c_str());
  return rc;
}

std::string command_output(const std::string& command) {
  return aether::devstack::run_command(command).output;
}

// Accepts connections on address:port and answers each with `token`, until
// destroyed. Runs in the network namespace `netns` ("" = this one).
class TokenServer {
 public:
  TokenServer(std::string netns, std::string address, int port, std::string token)
      : token_(std::move(token)) {
    std::atomic<int> bound{0};
    thread_ = std::jthread([&, netns, address, port](std::stop_token stop) {
      if (!netns.empty()) {
        const int ns = ::open(("/var/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) {  // this thread only
          bound = -1;
          return;
        }
        ::close(ns);
      }
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const int one = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<std::uint16_t>(port));
      ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 8) != 0) {
        bound = -1;
        ::close(fd);
        return;
      }
      socklen_t len = sizeof a;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin_port);
      bound = 1;
      while (!stop.stop_requested()) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        (void)!::write(c, token_.data(), token_.size());
        ::close(c);
      }
      ::close(fd);
    });
    REQUIRE(wait_for([&] { return bound.load() != 0; }, 10s));
    REQUIRE(bound.load() == 1);
  }
  [[nodiscard]] int port() const { return port_; }

 private:
  std::string token_;
  std::atomic<int> port_{0};
  std::jthread thread_;
};

// The "internet": netns aetn<pid> with 198.18.0.1/24 on a veth whose host end
// has 198.18.0.254/24. Removed with everything in it on destruction.
struct FakeInternet {
  std::string ns = "aetn" + std::to_string(::getpid());
  std::string host_end = "aetv" + std::to_string(::getpid()) + "h";
  std::string ns_end = "aetv" + std::to_string(::getpid()) + "g";
  FakeInternet() {
    REQUIRE(sh("ip netns add " + ns) == 0);
    REQUIRE(sh("ip link add " + host_end + " type veth peer name " + ns_end) == 0);
    REQUIRE(sh("ip link set " + ns_end + " netns " + ns) == 0);
    REQUIRE(sh("ip addr add 198.18.0.254/24 dev " + host_end) == 0);
    REQUIRE(sh("ip link set " + host_end + " up") == 0);
    REQUIRE(sh("ip -n " + ns + " addr add " + kInternet + "/24 dev " + ns_end) == 0);
    REQUIRE(sh("ip -n " + ns + " link set " + ns_end + " up") == 0);
    REQUIRE(sh("ip -n " + ns + " link set lo up") == 0);
    // 198.18.0.1 must be reached through the veth, never a default route.
    REQUIRE_THAT(command_output(std::string("ip route get ") + kInternet),
                 Catch::Contains("dev " + host_end));
  }
  ~FakeInternet() {
    sh("ip link del " + host_end);
    sh("ip netns del " + ns);
  }
};

// Connects from this process; what the server said, or "" when it could not.
std::string host_fetch(const std::string& address, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    char buf[256];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

v1::ExecReply guest_sh(bus::Connection& c, const std::string& vm, const std::string& script) {
  v1::ExecRequest exec;
  exec.add_argv("/bin/sh");
  exec.add_argv("-c");
  exec.add_argv(script);
  exec.set_timeout_ms(60'000);
  auto reply = c.request<v1::ExecReply>("aether.vm." + vm + ".exec", exec, {.timeout = 90s});
  INFO(script << ": " << (reply ? "" : reply.error().message));
  REQUIRE(reply);
  return *reply;
}

// `nc` in the guest (busybox): the server's answer, or nothing when blocked.
std::string guest_fetch(bus::Connection& c, const std::string& vm, const std::string& address,
                        int port) {
  return guest_sh(c, vm, "nc -w 5 " + address + " " + std::to_string(port) + " </dev/null")
      .stdout();
}

// A worker config with networking on, its bridge, table and subnet named
// after the test process (`tag` keeps two tests' networks apart).
WorkerConfig networked_config(const std::string& worker_id, const std::string& nats_url,
                              const std::filesystem::path& state_dir, char tag, int subnet_octet) {
  const auto pid = std::to_string(::getpid());
  auto config = worker_config(worker_id, nats_url, state_dir);
  config.network_enabled = true;
  config.network.bridge = std::string("aet") + tag + pid;
  config.network.table = std::string("aether_") + tag + pid;
  config.network.subnet =
      "10." + std::to_string(subnet_octet) + "." + std::to_string(::getpid() % 256) + ".0/24";
  return config;
}

}  // namespace

TEST_CASE("network: a VM reaches only what its egress rules allow") {
  REQUIRE(::geteuid() == 0);
  FakeInternet internet;
  TokenServer allowed(internet.ns, kInternet, kAllowedPort, "internet-allowed");
  TokenServer other(internet.ns, kInternet, kOtherPort, "internet-other");

  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  auto config = networked_config("w-net", bus.server.url(), state.path, 'w', 252);
  // As in production: QEMU drops to nobody, who owns the TAPs.
  config.network.tap_owner = 65534;
  http::Registry registry;
  Worker w(config, bus.connection,
           vmm::make_qemu_runtime(vmm::QemuOptions{.run_as = "nobody"}, /*use_kvm=*/false),
           registry);
  auto started = w.start();
  INFO((started ? "" : started.error().message));
  REQUIRE(started);
  const std::string gateway = "10.252." + std::to_string(::getpid() % 256) + ".1";
  TokenServer node(/*netns=*/"", gateway, 0, "node-reached");

  // A hostname in the allow-list: FAILED naming the entry, nothing booted.
  auto bad = create_vm("vm-badnet");
  bad.mutable_spec()->set_network(true);
  bad.mutable_spec()->add_egress_allow(std::string(kInternet) + ":" + std::to_string(kAllowedPort));
  bad.mutable_spec()->add_egress_allow("example.com:443");
  publish_create(bus.connection, bad);
  CHECK(events.wait("vm-badnet", v1::VM_STATE_FAILED, 30s).reason() ==
        "spec.egress_allow[1]: 'example.com:443': hostnames are not supported, give an IPv4 "
        "address or CIDR");

  // vm-net may reach 198.18.0.1:18080 only; vm-open has no list (public allowed).
  auto net = create_vm("vm-net");
  net.mutable_spec()->set_network(true);
  net.mutable_spec()->add_egress_allow(std::string(kInternet) + ":" + std::to_string(kAllowedPort));
  publish_create(bus.connection, net);
  auto open = create_vm("vm-open");
  open.mutable_spec()->set_network(true);
  publish_create(bus.connection, open);
  const auto net_ready = events.wait("vm-net", v1::VM_STATE_READY, 300s);
  const auto open_ready = events.wait("vm-open", v1::VM_STATE_READY, 300s);
  const std::string net_ip = net_ready.guest_address();
  const std::string open_ip = open_ready.guest_address();
  REQUIRE_FALSE(net_ip.empty());
  REQUIRE_FALSE(open_ip.empty());
  CHECK(net_ip != open_ip);
  auto status = bus.connection.request<v1::VmStatusReply>("aether.vm.vm-net.status",
                                                          v1::VmStatusRequest{}, {.timeout = 30s});
  REQUIRE(status);
  CHECK(status->guest_address() == net_ip);
  const auto tap = net::tap_name(config.network.bridge, "vm-net");
  CHECK(::if_nametoindex(tap.c_str()) != 0);
  CHECK(command_output("cat /sys/class/net/" + tap + "/owner") == "65534\n");

  // The guest's eth0 came up with its address before the agent said Hello.
  CHECK_THAT(guest_sh(bus.connection, "vm-net", "ip -4 addr show dev eth0").stdout(),
             Catch::Contains("inet " + net_ip + "/24"));

  // Allowed: the listed host and port (through NAT).
  CHECK(guest_fetch(bus.connection, "vm-net", kInternet, kAllowedPort) == "internet-allowed");
  // Blocked: another port of the same host (vm-open, with no list, reaches it).
  CHECK(guest_fetch(bus.connection, "vm-net", kInternet, kOtherPort).empty());
  CHECK(guest_fetch(bus.connection, "vm-open", kInternet, kOtherPort) == "internet-other");
  // Blocked: the node itself, on the bridge address (the host reaches its own listener).
  REQUIRE(host_fetch(gateway, node.port()) == "node-reached");
  CHECK(guest_fetch(bus.connection, "vm-net", gateway, node.port()).empty());
  CHECK(guest_fetch(bus.connection, "vm-open", gateway, node.port()).empty());
  // Blocked: another VM (a listener in vm-open that the host can reach).
  // The agent kills an exec's process group when it ends: the listener gets
  // its own session, and the exec waits (bounded) until it has one.
  CHECK(guest_sh(bus.connection, "vm-open",
                 "printf '#!/bin/sh\\necho peer-reached\\n' >/tmp/peer && chmod +x /tmp/peer && "
                 "setsid sh -c 'echo $$ >/tmp/peer.pid; exec nc -ll -p 7777 -e /tmp/peer' "
                 "</dev/null >/dev/null 2>&1 & "
                 "for i in $(seq 100); do [ -s /tmp/peer.pid ] && exit 0; sleep 0.1; done; exit 1")
            .exit_code() == 0);
  CHECK(wait_for([&] { return host_fetch(open_ip, 7777) == "peer-reached\n"; }, 30s));
  CHECK(guest_fetch(bus.connection, "vm-net", open_ip, 7777).empty());

  // Blocked: a spoofed source address, dropped where vm-open's frames enter
  // the host (the TAP's ingress chain counts them).
  const std::string spoofed = "10.252." + std::to_string(::getpid() % 256) + ".200";
  const auto open_tap = net::tap_name(config.network.bridge, "vm-open");
  CHECK(guest_sh(bus.connection, "vm-open",
                 "ip addr del " + open_ip + "/24 dev eth0 && ip addr add " + spoofed +
                     "/24 dev eth0 && ip route add default via " + gateway + " && nc -w 3 " +
                     kInternet + " " + std::to_string(kOtherPort) + " </dev/null")
            .stdout()
            .empty());
  const auto ingress =
      command_output("nft list chain inet " + config.network.table + " in_" + open_tap);
  INFO(ingress);
  CHECK_THAT(ingress, Catch::Contains("ip saddr != " + open_ip + " counter packets ") &&
                          !Catch::Contains("ip saddr != " + open_ip + " counter packets 0 "));

  // Delete: the TAP and the VM's rules go.
  auto deleted = bus.connection.request<v1::VmOpReply>("aether.vm.vm-net.delete", v1::DeleteVm{},
                                                       {.timeout = 60s});
  REQUIRE(deleted);
  CHECK(::if_nametoindex(tap.c_str()) == 0);
  const auto table = command_output("nft list table inet " + config.network.table);
  CHECK_THAT(table, Catch::Contains("chain vm_" + net::tap_name(config.network.bridge, "vm-open")));
  CHECK_THAT(table, !Catch::Contains(tap));

  // Shutdown stops vm-open and removes the bridge and the table.
  w.shutdown();
  CHECK(::if_nametoindex(net::tap_name(config.network.bridge, "vm-open").c_str()) == 0);
  CHECK(::if_nametoindex(config.network.bridge.c_str()) == 0);
  CHECK(sh("nft list table inet " + config.network.table) != 0);
}

TEST_CASE("network: spec.network on a worker without networking stays FAILED") {
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  auto config = worker_config("w-nonet", bus.server.url(), state.path);
  http::Registry registry;
  Worker w(config, bus.connection, vmm::make_qemu_runtime({}, false), registry);
  REQUIRE(w.start());
  auto c = create_vm("vm-wants-net");
  c.mutable_spec()->set_network(true);
  publish_create(bus.connection, c);
  CHECK_THAT(events.wait("vm-wants-net", v1::VM_STATE_FAILED, 30s).reason(),
             Catch::Contains("spec.network is not supported by this worker") &&
                 Catch::Contains("AETHER_NETWORK=off"));
  w.shutdown();
}

TEST_CASE("network: a restarted worker removes the TAPs and rules a crash left") {
  REQUIRE(::geteuid() == 0);
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  auto config = networked_config("w-netcrash", bus.server.url(), state.path, 'c', 253);
  const auto tap = net::tap_name(config.network.bridge, "vm-crash");
  {
    http::Registry registry;
    Worker first(config, bus.connection, vmm::make_qemu_runtime({}, false), registry);
    REQUIRE(first.start());
    auto c = create_vm("vm-crash");
    c.mutable_spec()->set_network(true);
    publish_create(bus.connection, c);
    events.wait("vm-crash", v1::VM_STATE_READY, 300s);
    REQUIRE(::if_nametoindex(tap.c_str()) != 0);
    first.kill();  // as a crash: the TAP and the rules stay behind
  }
  REQUIRE(::if_nametoindex(tap.c_str()) != 0);
  http::Registry registry;
  Worker second(config, bus.connection, vmm::make_qemu_runtime({}, false), registry);
  REQUIRE(second.start());
  CHECK(::if_nametoindex(tap.c_str()) == 0);
  CHECK_THAT(command_output("nft list table inet " + config.network.table), !Catch::Contains(tap));
  CHECK(second.recovery_report().vms_failed == 1);
  second.shutdown();
  CHECK(::if_nametoindex(config.network.bridge.c_str()) == 0);
}
