// The Restored frame: a VM restored from a snapshot gets its own identity.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "agent_harness.hpp"

using namespace aether;
using namespace aether::vm_agent;
using namespace aether::vm_agent::testing;

TEST_CASE("Restored writes the machine id and is answered by a Hello with its id") {
  char tmpl[] = "/tmp/agent_restored.XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::filesystem::path root = tmpl;
  std::filesystem::create_directories(root / "etc");
  AgentOptions options;
  options.exec_root = root.string();  // not PID 1: clock, entropy and hostname are left alone
  AgentHarness agent(options);

  v1::GuestFrame frame;
  frame.set_id(9);
  auto* r = frame.mutable_restored();
  r->set_random_seed(std::string(64, 'x'));
  r->set_wall_clock_unix_ns(1'800'000'000'000'000'000);
  r->set_hostname("vm-0192");
  r->set_machine_id("0123456789abcdef0123456789abcdef");
  agent.send(frame);
  auto hello = agent.read();
  CHECK(hello.id() == 9);
  REQUIRE(hello.has_hello());
  CHECK(hello.hello().mode() == "normal");
  std::ifstream id(root / "etc/machine-id");
  std::string line;
  std::getline(id, line);
  CHECK(line == "0123456789abcdef0123456789abcdef");

  SECTION("bad fields are refused, naming the field; the agent goes on") {
    v1::GuestFrame bad;
    bad.set_id(10);
    bad.mutable_restored()->set_random_seed("short");
    bad.mutable_restored()->set_wall_clock_unix_ns(1);
    agent.send(bad);
    auto reply = agent.read();
    REQUIRE(reply.has_error());
    CHECK_THAT(reply.error().message(), Catch::Contains("restored.random_seed must be 32..512"));
    bad.set_id(11);
    bad.mutable_restored()->set_random_seed(std::string(32, 'y'));
    bad.mutable_restored()->set_machine_id("XYZ");
    agent.send(bad);
    reply = agent.read();
    REQUIRE(reply.has_error());
    CHECK_THAT(reply.error().message(), Catch::Contains("restored.machine_id"));
    // Still serving (a ping; exec would chroot into the near-empty test root).
    v1::GuestFrame ping;
    ping.set_id(12);
    ping.mutable_ping()->set_nonce(77);
    agent.send(ping);
    auto pong = agent.read();
    REQUIRE(pong.has_pong());
    CHECK(pong.pong().nonce() == 77);
  }
  std::filesystem::remove_all(root);
}
