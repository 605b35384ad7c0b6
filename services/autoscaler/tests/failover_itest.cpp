// Two real aether-autoscaler processes on one nats-server: only the leader
// decides; SIGKILL it and the other one acts within about a lease period.
#include <signal.h>

#include "aether/devstack/net.hpp"
#include "aether/process/process.hpp"
#include "itest_support.hpp"

using namespace aether;
using namespace aether::autoscaler::testing;

namespace {

process::ChildProcess spawn_autoscaler(const std::string& id, const std::string& nats_url,
                                       const std::filesystem::path& log) {
  const char* dir = std::getenv("AETHER_BINARY_DIR");
  REQUIRE(dir != nullptr);
  auto port = devstack::free_port();
  REQUIRE(port);
  std::vector<std::string> argv = {
      "/usr/bin/env",
      "NATS_URL=" + nats_url,
      "AETHER_AUTOSCALER_ID=" + id,
      "AETHER_AUTOSCALER_ACTUATOR=dry-run",
      "AETHER_AUTOSCALER_LEASE_TTL=1s",
      "AETHER_AUTOSCALER_EVAL_INTERVAL=200ms",
      "AETHER_AUTOSCALER_WORKER_MAX_VMS=2",
      "AETHER_PROVISION=false",
      "AETHER_ADMIN_ADDR=127.0.0.1",
      "AETHER_ADMIN_PORT=" + std::to_string(*port),
      "AETHER_LOG_FORMAT=text",
      std::string(dir) + "/services/autoscaler/aether-autoscaler",
  };
  auto p = process::ChildProcess::spawn({.argv = argv, .log_file = log});
  REQUIRE(p);
  return std::move(*p);
}

}  // namespace

TEST_CASE("failover: kill the leader process, the follower takes over and acts") {
  auto b = Bus::start();
  DecisionRecorder decisions(b.connection);
  char tmpl[] = "/tmp/as-fail.XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::filesystem::path dir = tmpl;
  auto a = spawn_autoscaler("as-a", b.server.url(), dir / "a.log");
  auto c = spawn_autoscaler("as-b", b.server.url(), dir / "b.log");

  for (int i = 0; i < 3; ++i) publish_create(b.connection, create_vm("vm-" + std::to_string(i)));
  auto first =
      decisions.wait([](const auto& d) { return d.action() == v1::SCALE_ACTION_SCALE_UP; }, 20s);
  INFO(decisions.dump() << process::log_tail(dir / "a.log") << process::log_tail(dir / "b.log"));
  REQUIRE(first);
  const std::string leader = first->leader();
  REQUIRE((leader == "as-a" || leader == "as-b"));
  // Only the leader decides.
  std::this_thread::sleep_for(1s);
  for (const auto& d : decisions.all()) CHECK(d.leader() == leader);

  auto& victim = leader == "as-a" ? a : c;
  const std::size_t seen = decisions.all().size();
  const auto killed = std::chrono::steady_clock::now();
  victim.kill();
  auto next = decisions.wait(
      [&](const auto& d) {
        return d.action() == v1::SCALE_ACTION_SCALE_UP && d.leader() != leader;
      },
      20s, seen);
  REQUIRE(next);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  WARN("the follower acted " << took << " s after the leader was killed (lease ttl 1 s)");
  CHECK(next->to_nodes() == 2);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
