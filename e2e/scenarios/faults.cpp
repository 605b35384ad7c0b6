// Scenario 5: faults injected through $AETHER_E2E_CONTROL. A worker killed
// mid-boot, nats-server restarted, PostgreSQL stopped and started, Redis
// stopped: nothing lost, nothing doubled, the api's documented answers while
// a store is down, recovery by itself afterwards.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <iostream>
#include <string>
#include <thread>

#include "aether/bus/bus.hpp"
#include "control.hpp"
#include "e2e_env.hpp"
#include "rest.hpp"
#include "suite.hpp"

using namespace aether;
using namespace aether::e2e;
using namespace std::chrono_literals;

namespace {

// Runs the undo verb when the scenario ends, however it ends, so one failed
// scenario does not leave the platform broken for the next.
class Undo {
 public:
  Undo(std::string verb, std::vector<std::string> args)
      : verb_(std::move(verb)), args_(std::move(args)) {}
  ~Undo() {
    if (!verb_.empty()) (void)control(verb_, args_);
  }
  Undo(const Undo&) = delete;
  Undo& operator=(const Undo&) = delete;

 private:
  std::string verb_;
  std::vector<std::string> args_;
};

// Exit 3 (or no control at all): the target cannot; skip with its words.
bool inject(const std::string& verb, const std::vector<std::string>& args = {}) {
  auto r = control(verb, args);
  if (r.unsupported() || !control_available()) {
    WARN("SKIP: " << verb << ": " << r.out);
    return false;
  }
  INFO(verb << " exit " << r.exit_code << ": " << r.out);
  REQUIRE(r.ok());
  return true;
}

// A VM's end after a fault: READY exactly once, or FAILED with a reason.
void check_settled(Rest& rest, const std::string& id) {
  auto vm = rest.wait_state(id, {"READY", "FAILED"}, 180s);
  const auto events = vm_events(rest, id);
  INFO("vm " << id << ": " << vm.dump() << "\nevents: " << events.dump());
  const auto state = vm.value("state", "");
  CHECK((state == "READY" || state == "FAILED"));  // not lost
  if (state == "FAILED") CHECK(!vm.value("reason", "").empty());
  CHECK(count_state(events, "READY") <= 1);  // never doubled
  CHECK(workers_reporting(events, "READY").size() <= 1);
}

}  // namespace

TEST_CASE("a worker killed mid-boot: the VM is READY once elsewhere or FAILED", "[faults]") {
  if (!control_available()) {
    WARN("SKIP: AETHER_E2E_CONTROL is not set");
    return;
  }
  // A second worker, so the create can end READY on another one.
  if (!inject("worker-start", {"e2e-2"})) return;
  Undo stop_second("worker-kill", {"e2e-2"});
  Rest rest;
  std::vector<std::string> ids;
  std::string killed, victim;
  // Warm pools serve the first creates at once; later ones boot cold. Only a
  // worker the target started can be killed (not one the autoscaler added).
  for (int round = 0; round < 3 && killed.empty(); ++round) {
    const auto killable = worker_list();
    for (int i = 0; i < 3; ++i) {
      const auto id = rest.create_vm(small_vm("fault-kill"));
      INFO("create: " << rest.last().describe());
      REQUIRE(!id.empty());
      ids.push_back(id);
    }
    (void)eventually(60s, [&] {
      for (const auto& id : ids) {
        auto vm = rest.get("/v1/vms/" + id).json();
        if (vm.is_object() && vm.value("state", "") == "BOOTING" &&
            std::find(killable.begin(), killable.end(), vm.value("workerId", "")) !=
                killable.end()) {
          killed = vm["workerId"];
          victim = id;
          return true;
        }
      }
      return false;
    });
  }
  INFO("no create was seen BOOTING; VMs " << ids.size());
  REQUIRE(!killed.empty());
  REQUIRE(inject("worker-kill", {killed}));
  Undo restart(killed == "e2e-2" ? "" : "worker-start", {killed});
  for (const auto& id : ids) check_settled(rest, id);
  auto vm = rest.get("/v1/vms/" + victim).json();
  std::cout << "worker-kill: VM " << victim << " was BOOTING on " << killed << ", ended "
            << vm.value("state", "?") << " on " << vm.value("workerId", "?") << " "
            << vm.value("reason", "") << "\n";
  dispose(rest, ids);
}

TEST_CASE("nats-server restarted: services reconnect, no command or event lost", "[faults]") {
  Rest rest;
  const auto before = rest.create_vm(small_vm("fault-nats"));
  REQUIRE(!before.empty());
  REQUIRE(rest.wait_state(before, {"READY", "FAILED"}, 180s).value("state", "") == "READY");
  // Two creates accepted (JetStream acked) right before the restart.
  std::vector<std::string> ids = {before};
  for (int i = 0; i < 2; ++i) {
    const auto id = rest.create_vm(small_vm("fault-nats"));
    REQUIRE(!id.empty());
    ids.push_back(id);
  }
  if (!inject("nats-restart")) {
    dispose(rest, ids);
    return;
  }
  // The worker holding the VM serves it again once it reconnected.
  Answer ex;
  const bool served = eventually(60s, [&] {
    ex = rest.exec(before, {"echo", "after-restart"});
    return ex.status == 200;
  });
  INFO("exec after restart: " << ex.describe());
  CHECK(served);
  CHECK(ex.json().value("stdout", "") == "after-restart\n");
  for (const auto& id : ids) check_settled(rest, id);
  for (std::size_t i = 1; i < ids.size(); ++i) {
    CHECK(rest.get("/v1/vms/" + ids[i]).json().value("state", "") == "READY");
  }
  // New work after the restart.
  const auto after = rest.create_vm(small_vm("fault-nats"));
  INFO("create after restart: " << rest.last().describe());
  REQUIRE(!after.empty());
  CHECK(rest.wait_state(after, {"READY", "FAILED"}, 180s).value("state", "") == "READY");
  ids.push_back(after);
  CHECK(count_state(vm_events(rest, before), "READY") == 1);
  dispose(rest, ids);
}

TEST_CASE("PostgreSQL stopped: 503, then recovery and the projection catches up", "[faults]") {
  std::string why;
  const auto tenant = make_tenant("e2e-pg", Json::object(), why);
  INFO(why);
  REQUIRE(!tenant.id.empty());
  Rest rest(env().api_url, tenant.key);
  const auto id = rest.create_vm(small_vm("fault-pg"));
  REQUIRE(!id.empty());
  REQUIRE(rest.wait_state(id, {"READY", "FAILED"}, 180s).value("state", "") == "READY");
  auto bus = bus::Connection::connect({.url = env().nats_url, .name = "e2e-pg"});
  REQUIRE(bus);

  if (!inject("pg-stop")) {
    dispose(rest, {id});
    return;
  }
  Undo start("pg-start", {});
  Answer down;
  CHECK(eventually(20s, [&] {
    down = rest.get("/v1/vms/" + id);
    return down.status == 503;
  }));
  INFO("while down: " << down.describe());
  CHECK(down.header("content-type").rfind("application/problem+json", 0) == 0);
  CHECK(rest.post("/v1/vms", small_vm("fault-pg")).status == 503);
  // A create straight onto the bus while PostgreSQL is down: the worker
  // boots it, its events wait in the stream for the projector.
  const auto during = new_uuid_v7();
  const Json create = {{"vmId", during},
                       {"tenant", tenant.id},
                       {"requestId", "e2e-pg-" + during},
                       {"spec", small_vm("fault-pg")}};
  bus::Headers h;
  h.set(bus::kContentTypeHeader, bus::kJsonMime);
  h.set(bus::kMsgIdHeader, "e2e-pg-" + during);
  REQUIRE(bus->publish_raw(bus::kVmCreateSubject, create.dump(), h));
  REQUIRE(bus->flush(5s));
  std::this_thread::sleep_for(5s);  // long enough for its events to be published

  REQUIRE(inject("pg-start"));
  Answer up;
  CHECK(eventually(60s, [&] {
    up = rest.get("/v1/vms/" + id);
    return up.status == 200;
  }));
  INFO("after start: " << up.describe());
  CHECK(up.json().value("state", "") == "READY");
  auto caught_up = rest.wait_state(during, {"READY", "FAILED"}, 120s);
  INFO("created while down: " << caught_up.dump());
  CHECK(caught_up.value("state", "") == "READY");
  CHECK(count_state(vm_events(rest, during), "READY") == 1);
  dispose(rest, {id, during});
}

TEST_CASE("Redis stopped: the limiter fails closed (503 + Retry-After), then recovers",
          "[faults]") {
  Rest rest;
  REQUIRE(rest.get("/v1/vms?limit=1").status == 200);
  if (!inject("redis-stop")) return;
  Undo start("redis-start", {});
  Answer down;
  CHECK(eventually(20s, [&] {
    down = rest.get("/v1/vms?limit=1");
    return down.status == 503;
  }));
  INFO("while down: " << down.describe());
  CHECK(!down.header("retry-after").empty());
  CHECK(down.header("content-type").rfind("application/problem+json", 0) == 0);
  REQUIRE(inject("redis-start"));
  Answer up;
  CHECK(eventually(60s, [&] {
    up = rest.get("/v1/vms?limit=1");
    return up.status == 200;
  }));
  INFO("after start: " << up.describe());
}
