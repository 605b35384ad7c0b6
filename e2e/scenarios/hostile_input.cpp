// Scenario 3: hostile input. Malformed REST bodies get a problem+json naming
// what was wrong; malformed bus messages are dropped while the services keep
// serving; a tenant probing another tenant's VM ids gets 404 and never the
// VM; and everything still works afterwards.
#include <catch2/catch.hpp>

#include <string>

#include "aether/bus/bus.hpp"
#include "e2e_env.hpp"
#include "rest.hpp"
#include "suite.hpp"

using namespace aether;
using namespace aether::e2e;
using namespace std::chrono_literals;

namespace {

// A problem+json answer (RFC 9457) whose text names `field`.
void check_problem(const Answer& a, long status, const std::string& field) {
  INFO("answer: " << a.describe());
  CHECK(a.status == status);
  CHECK(a.header("content-type").rfind("application/problem+json", 0) == 0);
  auto p = a.json();
  REQUIRE(p.is_object());
  CHECK(p.value("status", 0) == status);
  CHECK(!p.value("title", "").empty());
  if (!field.empty()) CHECK(a.body.find(field) != std::string::npos);
}

}  // namespace

TEST_CASE("malformed REST bodies are refused by name", "[hostile]") {
  Rest rest;
  // Syntax and query parameters: 400. Body fields: 422 naming each (openapi.json).
  check_problem(rest.call("POST", "/v1/vms", "{\"vcpus\": 1,"), 400, "");
  check_problem(rest.call("POST", "/v1/vms", "[1,2"), 400, "");
  check_problem(rest.call("POST", "/v1/vms", "{\"vcpus\":1,\"vcpus\":2}"), 400, "vcpus");
  check_problem(rest.post("/v1/vms", Json{{"vcpus", "two"}}), 422, "vcpus");
  check_problem(rest.post("/v1/vms", Json{{"memoryMib", 1}}), 422, "memoryMib");
  check_problem(rest.post("/v1/vms", Json{{"flavour", "large"}}), 422, "flavour");
  check_problem(rest.post("/v1/vms", Json{{"labels", {{"k", 5}}}}), 422, "labels");
  check_problem(rest.call("POST", "/v1/vms", "vcpus=1", "application/x-www-form-urlencoded"), 415,
                "");
  check_problem(rest.get("/v1/vms/not-a-uuid"), 400, "id");
  check_problem(rest.get("/v1/vms?limit=100000"), 400, "limit");
  Rest nobody(env().api_url, "ak_000000000000_nope");
  check_problem(nobody.get("/v1/vms"), 401, "");
  // None of it created anything: the api still answers the list.
  CHECK(rest.get("/v1/vms?limit=1").status == 200);
}

TEST_CASE("a tenant probing another tenant's VMs sees nothing, garbage on the bus changes nothing",
          "[hostile]") {
  std::string why;
  const auto owner = make_tenant("e2e-own", Json::object(), why);
  INFO(why);
  REQUIRE(!owner.id.empty());
  const auto prober = make_tenant("e2e-probe", Json::object(), why);
  REQUIRE(!prober.id.empty());
  Rest mine(env().api_url, owner.key);
  Rest theirs(env().api_url, prober.key);

  const auto id = mine.create_vm(small_vm("hostile"));
  INFO("create: " << mine.last().describe());
  REQUIRE(!id.empty());
  auto vm = mine.wait_state(id, {"READY", "FAILED"}, 180s);
  REQUIRE(vm.value("state", "") == "READY");

  // Every route with the id, as the other tenant: 404, and no trace of the VM.
  const std::vector<Answer> probes = {
      theirs.get("/v1/vms/" + id),
      theirs.get("/v1/vms/" + id + "/events"),
      theirs.exec(id, {"cat", "/etc/hostname"}),
      theirs.get("/v1/vms/" + id + "/files?path=/etc/hostname"),
      theirs.call("PUT", "/v1/vms/" + id + "/files?path=/tmp/x", "x", "application/octet-stream"),
      theirs.post("/v1/vms/" + id + "/stop", Json::object()),
      theirs.call("DELETE", "/v1/vms/" + id),
  };
  for (const auto& a : probes) {
    INFO("probe: " << a.describe());
    CHECK(a.status == 404);
    CHECK(a.body.find(owner.id) == std::string::npos);
    CHECK(a.body.find("\"state\"") == std::string::npos);
  }
  CHECK(theirs.get("/v1/vms?limit=500").body.find(id) == std::string::npos);

  // Garbage on the bus: commands, events and a VM's request subject.
  auto bus = bus::Connection::connect({.url = env().nats_url, .name = "e2e-hostile"});
  REQUIRE(bus);
  bus::Headers json;
  json.set(bus::kContentTypeHeader, bus::kJsonMime);
  const std::string junk("\x0a\xff\xff\xff\x0f\x12\x01", 7);
  REQUIRE(bus->publish_raw(bus::kVmCreateSubject, junk));
  REQUIRE(bus->publish_raw(bus::kVmCreateSubject, "{\"vmId\": 12, \"spec\": [}", json));
  REQUIRE(
      bus->publish_raw(bus::kVmCreateSubject, "{\"vmId\":\"not-a-uuid\",\"tenant\":\"x\"}", json));
  REQUIRE(bus->publish_raw(bus::vm_create_subject(1, 256), junk));
  REQUIRE(bus->publish_raw("aether.evt.vm." + id + ".ready", junk));
  REQUIRE(bus->publish_raw("aether.evt.vm." + id + ".ready", "{\"state\": \"EXPLODED\"}", json));
  // The worker holding the VM answers garbage with an error reply, not a crash.
  auto reply = bus->request_raw("aether.vm." + id + ".exec", junk, {}, 10s);
  INFO("exec garbage reply: " << (reply ? reply->data : reply.error().message));
  CHECK_FALSE(reply);
  if (!reply) CHECK(reply.error().code == bus::Errc::kServiceError);
  REQUIRE(bus->flush(5s));

  // Still works: the VM runs commands and keeps its state, new VMs boot.
  auto ex = mine.exec(id, {"echo", "still-here"});
  INFO("exec: " << ex.describe());
  CHECK(ex.status == 200);
  CHECK(ex.json().value("stdout", "") == "still-here\n");
  // The projector skipped the bad events: the VM is still READY.
  std::this_thread::sleep_for(1s);
  CHECK(mine.get("/v1/vms/" + id).json().value("state", "") == "READY");
  const auto after = mine.create_vm(small_vm("hostile"));
  REQUIRE(!after.empty());
  CHECK(mine.wait_state(after, {"READY", "FAILED"}, 180s).value("state", "") == "READY");
  dispose(mine, {id, after});
}
