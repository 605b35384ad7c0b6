// Pause and resume through REST on a real worker (issue 16): a file written
// and a process started in its own session before the pause are both there
// after the resume; in between the VM is PAUSED (GET, the list filter) and
// takes no exec; its history has PAUSING, PAUSED and a READY "resumed".
#include <catch2/catch.hpp>

#include <string>
#include <thread>

#include "e2e_env.hpp"
#include "rest.hpp"
#include "suite.hpp"

using namespace aether::e2e;
using namespace std::chrono_literals;

namespace {

// `sh -c script` in the VM: its stdout, or "exit N: stderr" when it failed.
std::string sh(Rest& rest, const std::string& id, const std::string& script) {
  auto ex = rest.exec(id, {"sh", "-c", script});
  if (ex.status != 200) return "HTTP " + ex.describe();
  auto r = ex.json();
  if (r.value("exitCode", -1) != 0) {
    return "exit " + std::to_string(r.value("exitCode", -1)) + ": " + r.value("stderr", "");
  }
  return r.value("stdout", "");
}

}  // namespace

TEST_CASE("pause and resume through REST keep the VM's files and processes", "[pause]") {
  Rest rest;
  const auto id = rest.create_vm(small_vm("pause"));
  INFO("create: " << rest.last().describe());
  REQUIRE(!id.empty());
  auto vm = rest.wait_state(id, {"READY", "FAILED"}, 180s);
  INFO("vm: " << vm.dump());
  REQUIRE(vm.value("state", "") == "READY");

  CHECK(sh(rest, id, "echo kept > /tmp/kept.txt; cat /tmp/kept.txt") == "kept\n");
  // A process in its own session outlives its exec (the agent ends the
  // exec's group); wait until setsid has happened (field 6 of stat).
  std::string pid = sh(rest, id,
                       "setsid sleep 100000 </dev/null >/dev/null 2>&1 & p=$!; "
                       "while [ \"$(cut -d' ' -f6 /proc/$p/stat)\" != \"$p\" ]; do sleep 0.1; "
                       "done; echo $p");
  INFO("pid: " << pid);
  REQUIRE(pid.size() > 1);
  REQUIRE(pid.back() == '\n');
  pid.pop_back();

  auto paused = rest.post("/v1/vms/" + id + "/pause", Json::object(), {}, 120s);
  INFO("pause: " << paused.describe());
  REQUIRE(paused.status == 202);
  CHECK(paused.json().value("state", "") == "PAUSED");
  vm = rest.wait_state(id, {"PAUSED", "FAILED"}, 60s);
  CHECK(vm.value("state", "") == "PAUSED");
  auto listed = rest.get("/v1/vms?state=PAUSED&label=e2e=pause");
  INFO("list: " << listed.describe());
  REQUIRE(listed.status == 200);
  bool found = false;
  const Json vms = listed.json()["vms"];  // a copy: json() returns a temporary
  for (const auto& v : vms) found = found || v.value("id", "") == id;
  CHECK(found);
  // While paused: no exec, and the refusal names the state.
  auto refused = rest.exec(id, {"true"});
  INFO("exec while paused: " << refused.describe());
  CHECK(refused.status == 409);
  CHECK(refused.body.find("PAUSED") != std::string::npos);

  auto resumed = rest.post("/v1/vms/" + id + "/resume", Json::object(), {}, 120s);
  INFO("resume: " << resumed.describe());
  REQUIRE(resumed.status == 202);
  CHECK(resumed.json().value("state", "") == "READY");
  // At once: the answer comes once the VM is READY for every other route too.
  CHECK(sh(rest, id, "cat /tmp/kept.txt") == "kept\n");
  CHECK(sh(rest, id, "kill -0 " + pid + " && cat /proc/" + pid + "/comm") == "sleep\n");

  // The history is the projection of the event stream: polled until the
  // resume's READY is in it.
  int pausing = 0, paused_events = 0, resumed_ready = 0;
  Answer history;
  for (int i = 0; i < 50 && resumed_ready == 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(200ms);
    history = rest.get("/v1/vms/" + id + "/events");
    if (history.status != 200) continue;
    pausing = paused_events = resumed_ready = 0;
    const Json events = history.json()["events"];  // a copy: json() returns a temporary
    for (const auto& e : events) {
      const auto state = e.value("state", "");
      pausing += state == "PAUSING";
      paused_events += state == "PAUSED";
      resumed_ready +=
          state == "READY" && e.value("reason", "").find("resumed") != std::string::npos;
    }
  }
  INFO("events: " << history.describe());
  CHECK(pausing == 1);
  CHECK(paused_events == 1);
  CHECK(resumed_ready == 1);

  auto del = rest.call("DELETE", "/v1/vms/" + id);
  INFO("delete: " << del.describe());
  CHECK(del.status == 202);
  CHECK(rest.wait_state(id, {"DELETED"}, 60s).value("state", "") == "DELETED");
}
