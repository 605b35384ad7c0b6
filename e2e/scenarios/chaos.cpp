// Scenario 6: a bounded chaos run. A few dozen creates and execs while a
// worker is killed (and started again) and nats-server restarts at random
// moments. Prints accepted / READY / FAILED (with reasons) / lost / doubled;
// lost and doubled must be 0. Hidden from the default run ([.]): ctest's
// e2e_chaos runs it (e2e/run.sh local '[chaos]').
#include <catch2/catch.hpp>

#include <atomic>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "control.hpp"
#include "e2e_env.hpp"
#include "rest.hpp"
#include "suite.hpp"

using namespace aether::e2e;
using namespace std::chrono_literals;

namespace {

struct FaultLog {
  int worker_kills = 0;
  int nats_restarts = 0;
  std::vector<std::string> failures;  // a fault verb that did not succeed
};

// Until `stop`: every 4-12 s one fault, a worker killed then started again
// 1-4 s later, or nats-server restarted.
void inject_faults(std::atomic<bool>& stop, FaultLog& log) {
  std::mt19937 rng{std::random_device{}()};
  auto sleep_for = [&](int lo_ms, int hi_ms) {
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(std::uniform_int_distribution(lo_ms, hi_ms)(rng));
    while (!stop && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(100ms);
  };
  sleep_for(2000, 6000);
  while (!stop) {
    if (std::uniform_int_distribution(0, 2)(rng) != 0) {
      auto killed = control("worker-kill", {"any"});
      if (!killed.ok()) {
        log.failures.push_back("worker-kill: " + killed.out);
      } else {
        ++log.worker_kills;
        sleep_for(1000, 4000);
        auto started = control("worker-start", {killed.out});
        if (!started.ok())
          log.failures.push_back("worker-start " + killed.out + ": " + started.out);
      }
    } else {
      auto r = control("nats-restart");
      if (r.ok()) {
        ++log.nats_restarts;
      } else {
        log.failures.push_back("nats-restart: " + r.out);
      }
    }
    sleep_for(4000, 12000);
  }
}

}  // namespace

TEST_CASE("bounded chaos: creates and execs while workers die and nats restarts", "[.][chaos]") {
  if (!control_available()) {
    WARN("SKIP: AETHER_E2E_CONTROL is not set");
    return;
  }
  const int creates = env().chaos_creates;
  std::string why;
  const auto tenant = make_tenant(
      "e2e-chaos", Json{{"maxVms", 1000}, {"maxVcpus", 1000}, {"maxMemoryMib", 1000000}}, why);
  INFO(why);
  REQUIRE(!tenant.id.empty());
  Rest rest(env().api_url, tenant.key);
  auto second = control("worker-start", {"chaos-2"});
  if (second.unsupported()) {
    WARN("SKIP: worker-start: " << second.out);
    return;
  }
  REQUIRE(second.ok());

  std::atomic<bool> stop{false};
  FaultLog faults;
  std::thread chaos([&] { inject_faults(stop, faults); });

  int attempted = 0, refused = 0, exec_ok = 0, exec_failed = 0;
  std::vector<std::string> accepted;
  std::map<std::string, std::string> final_state;  // id -> READY | FAILED | lost
  std::map<std::string, int> reasons;
  // Small batches, so a 2-core machine boots them in reasonable time.
  constexpr int kBatch = 4;
  for (int start = 0; start < creates; start += kBatch) {
    std::vector<std::string> batch;
    for (int i = start; i < std::min(creates, start + kBatch); ++i) {
      ++attempted;
      // While nats-server is down the api answers 503: retry like a client.
      std::string id;
      (void)eventually(30s, [&] {
        id = rest.create_vm(small_vm("chaos"));
        return !id.empty() || rest.last().status != 503;
      });
      if (id.empty()) {
        ++refused;
        std::cout << "chaos: create refused: " << rest.last().describe() << "\n";
        continue;
      }
      accepted.push_back(id);
      batch.push_back(id);
    }
    for (const auto& id : batch) {
      auto vm = rest.wait_state(id, {"READY", "FAILED"}, 240s);
      const auto state = vm.value("state", "");
      if (state == "READY") {
        final_state[id] = "READY";
        Answer ex;
        const bool ran = eventually(30s, [&] {
          ex = rest.exec(id, {"echo", "chaos"});
          return ex.status == 200 || ex.status == 404;
        });
        (ran && ex.json().value("stdout", "") == "chaos\n") ? ++exec_ok : ++exec_failed;
      } else if (state == "FAILED") {
        final_state[id] = "FAILED";
        ++reasons[vm.value("reason", "(no reason)")];
      } else {
        final_state[id] = "lost";
        std::cout << "chaos: lost " << id << " last seen " << vm.dump() << "\n";
      }
    }
    dispose(rest, batch);
  }
  stop = true;
  chaos.join();
  (void)control("worker-kill", {"chaos-2"});
  // Everything must be back for what follows.
  (void)control("worker-start", {"local-1"});

  int ready = 0, failed = 0, lost = 0, doubled = 0;
  for (const auto& id : accepted) {
    const auto& s = final_state[id];
    ready += s == "READY";
    failed += s == "FAILED";
    lost += s == "lost";
    const auto events = vm_events(rest, id);
    if (count_state(events, "READY") > 1 || workers_reporting(events, "READY").size() > 1) {
      ++doubled;
      std::cout << "chaos: doubled " << id << ": " << events.dump() << "\n";
    }
  }
  std::cout << "chaos: creates attempted " << attempted << ", accepted " << accepted.size()
            << ", refused " << refused << "; READY " << ready << ", FAILED " << failed << ", lost "
            << lost << ", doubled " << doubled << "; execs ok " << exec_ok << ", failed "
            << exec_failed << "; faults: worker kills " << faults.worker_kills << ", nats restarts "
            << faults.nats_restarts << "\n";
  for (const auto& [reason, n] : reasons)
    std::cout << "chaos: FAILED x" << n << ": " << reason << "\n";
  for (const auto& f : faults.failures) std::cout << "chaos: fault did not apply: " << f << "\n";
  CHECK(lost == 0);
  CHECK(doubled == 0);
  CHECK(faults.failures.empty());
  CHECK(faults.worker_kills + faults.nats_restarts > 0);
}
