// LeaderElection against a real nats-server: one leader at a time, takeover
// after a crash (lease left to expire) and after a release, demotion when
// NATS goes away.
#include "leader.hpp"

#include <atomic>

#include "itest_support.hpp"

using namespace aether;
using namespace aether::autoscaler;
using namespace aether::autoscaler::testing;

namespace {

bus::Connection connect(const Bus& b, const std::string& name) {
  auto c = bus::Connection::connect({.url = b.server.url(), .name = name});
  REQUIRE(c);
  return std::move(*c);
}

LeaseConfig lease(const std::string& holder) {
  return {.key = "autoscaler", .holder = holder, .ttl = 1500ms, .poll = 100ms};
}

// Samples both replicas until `done`; fails if both ever claim leadership.
struct OverlapWatch {
  LeaderElection& a;
  LeaderElection& b;
  std::atomic<bool> overlap{false};
  std::atomic<bool> stop{false};
  std::jthread thread{[this] {
    while (!stop) {
      if (a.is_leader() && b.is_leader()) overlap = true;
      std::this_thread::sleep_for(5ms);
    }
  }};
  ~OverlapWatch() { stop = true; }
};

}  // namespace

TEST_CASE("leader: one of two replicas leads, the other takes over when it crashes") {
  auto b = Bus::start();
  auto a_conn = connect(b, "as-a");
  auto b_conn = connect(b, "as-b");
  auto a = std::make_unique<LeaderElection>(a_conn, lease("a"));
  LeaderElection other(b_conn, lease("b"));
  REQUIRE(a->start());
  REQUIRE(wait_for([&] { return a->is_leader(); }, 5s));
  REQUIRE(other.start());
  {
    OverlapWatch watch{*a, other};
    // The follower stays a follower while the leader renews (several ttls).
    std::this_thread::sleep_for(4s);
    CHECK(a->is_leader());
    CHECK_FALSE(other.is_leader());
    CHECK(other.current_holder() == "a");
    // Crash: the lease is not released, so it must expire.
    const auto killed = std::chrono::steady_clock::now();
    a->stop(false);
    CHECK_FALSE(a->is_leader());
    REQUIRE(wait_for([&] { return other.is_leader(); }, 10s));
    const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed);
    WARN("takeover " << took.count() << " s after the leader stopped (lease ttl 1.5 s)");
    CHECK_FALSE(watch.overlap);
  }
  auto kv = bus::KvBucket::open(b.connection, "aether_leases");
  REQUIRE(kv);
  auto v = kv->get("autoscaler");
  REQUIRE(v);
  CHECK(LeaderElection::holder_of(v->value) == "b");
}

TEST_CASE(
    "leader: a released lease is taken at the follower's next poll, a restart retakes its own") {
  auto b = Bus::start();
  auto a_conn = connect(b, "as-a");
  auto b_conn = connect(b, "as-b");
  auto a = std::make_unique<LeaderElection>(a_conn, lease("a"));
  REQUIRE(a->start());
  REQUIRE(wait_for([&] { return a->is_leader(); }, 5s));
  LeaderElection other(b_conn, lease("b"));
  REQUIRE(other.start());
  std::this_thread::sleep_for(500ms);
  REQUIRE_FALSE(other.is_leader());
  a->stop(true);                                             // released: an empty holder
  REQUIRE(wait_for([&] { return other.is_leader(); }, 1s));  // well under the 1.5 s ttl
  // Same holder name comes back while b leads: b keeps it (CAS), a follows.
  auto a2 = std::make_unique<LeaderElection>(a_conn, lease("a"));
  REQUIRE(a2->start());
  std::this_thread::sleep_for(1s);
  CHECK(other.is_leader());
  CHECK_FALSE(a2->is_leader());
}

TEST_CASE("leader: losing NATS demotes the leader, it leads again once NATS is back") {
  auto b = Bus::start();
  auto conn =
      bus::Connection::connect({.url = b.server.url(), .name = "as-a", .reconnect_wait = 100ms});
  REQUIRE(conn);
  std::atomic<int> changes{0};
  LeaderElection a(*conn, lease("a"), [&](bool) { ++changes; });
  REQUIRE(a.start());
  REQUIRE(wait_for([&] { return a.is_leader(); }, 5s));
  REQUIRE(b.server.stop());
  REQUIRE(wait_for([&] { return !a.is_leader(); }, 3s));
  REQUIRE(b.server.restart());
  REQUIRE(wait_for([&] { return a.is_leader(); }, 20s));
  CHECK(changes >= 3);  // leader, follower, leader
}

TEST_CASE("leader: lease values name their holder, unreadable ones are held by someone") {
  CHECK(LeaderElection::holder_of(LeaderElection::encode("x", 1s)) == "x");
  CHECK(LeaderElection::holder_of(LeaderElection::encode("", 1s)).empty());
  CHECK(LeaderElection::holder_of("garbage") == "?");
}
