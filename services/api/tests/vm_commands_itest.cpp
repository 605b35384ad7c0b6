// Stop and delete when no worker answers, quotas, and concurrent
// Idempotency-Keys, against real PostgreSQL, Redis and nats-server.
#include <catch2/catch.hpp>

#include <future>
#include <set>
#include <thread>

#include "aether/bus/kv.hpp"
#include "aether/v1/vm.pb.h"
#include "api_stack.hpp"
#include "vm_json.hpp"

using namespace aether;
using namespace aether::api;
using namespace aether::api::testing;
using nlohmann::json;

namespace {

void set_row(ApiStack& s, const std::string& id, const std::string& state,
             const std::string& worker) {
  auto r = s.pg_pool->query(
      "UPDATE vms SET state = $2, worker_id = nullif($3, '')"
      " WHERE id = $1::uuid",
      {id, state, worker});
  REQUIRE(r);
}

void check_problem(const Reply& r, long status, const std::string& detail_part) {
  INFO(r.body);
  CHECK(r.status == status);
  CHECK(r.header("content-type") == "application/problem+json");
  auto body = r.json();
  CHECK(body["status"] == status);
  CHECK(body.value("detail", std::string()).find(detail_part) != std::string::npos);
}

// The newest event on the VM's subjects, read the way a worker reads it
// before it boots a CreateVm (js_GetLastMsg on aether.evt.vm.<id>.*).
std::optional<v1::VmEvent> newest_event(ApiStack& s, const std::string& id) {
  natsMsg* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const std::string subject = "aether.evt.vm." + id + ".*";
  if (js_GetLastMsg(&raw, s.bus->jetstream(), "AETHER_EVENTS", subject.c_str(), nullptr, &jerr) !=
      NATS_OK) {
    return std::nullopt;
  }
  bus::MsgPtr msg(raw);
  v1::VmEvent event;
  REQUIRE(event.ParseFromArray(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get())));
  CHECK(std::string(natsMsg_GetSubject(msg.get())) == "aether.evt.vm." + id + ".deleted");
  return event;
}

}  // namespace

TEST_CASE("DELETE of a PENDING VM no worker took cancels it, with an event the workers honour") {
  ApiStack s;
  const auto key = s.tenant_with_key("acme", false, {.max_vms = 1});
  const std::string id = s.client->call("POST", "/v1/vms", key, "{}").json()["id"];
  check_problem(s.client->call("POST", "/v1/vms/" + id + "/stop", key, "{}"), 409, "PENDING");

  auto deleted = s.client->call("DELETE", "/v1/vms/" + id, key);
  INFO(deleted.body);
  REQUIRE(deleted.status == 202);
  CHECK(deleted.json()["state"] == "DELETED");
  CHECK(deleted.json()["reason"].get<std::string>().find("PENDING") != std::string::npos);
  CHECK(value(*s.pg_pool, "SELECT state FROM vms WHERE id = $1::uuid", {id}) == "DELETED");
  auto event = newest_event(s, id);
  REQUIRE(event);
  CHECK(event->state() == v1::VM_STATE_DELETED);
  CHECK(event->previous_state() == v1::VM_STATE_PENDING);
  CHECK(event->tenant() == "acme");
  // Done once: a second DELETE says so, and the slot is free again.
  check_problem(s.client->call("DELETE", "/v1/vms/" + id, key), 409, "already deleted");
  CHECK(s.client->call("POST", "/v1/vms", key, "{}").status == 202);
}

TEST_CASE("stop and delete of a running VM nobody answers for: 503 while its worker lives") {
  ApiStack s;
  const auto key = s.tenant_with_key("acme");
  const std::string alive = s.client->call("POST", "/v1/vms", key, "{}").json()["id"];
  const std::string lost = s.client->call("POST", "/v1/vms", key, "{}").json()["id"];
  const std::string stopped = s.client->call("POST", "/v1/vms", key, "{}").json()["id"];
  set_row(s, alive, "READY", "w-alive");
  set_row(s, lost, "READY", "w-gone");
  set_row(s, stopped, "STOPPED", "w-alive");
  // w-alive heartbeats in aether_workers but does not serve the VM (restarting).
  auto workers = bus::KvBucket::open(*s.bus, "aether_workers");
  REQUIRE(workers);
  REQUIRE(workers->put("w-alive", "{}"));

  for (const char* op : {"stop", "delete"}) {
    INFO(op);
    auto r = std::string(op) == "stop"
                 ? s.client->call("POST", "/v1/vms/" + alive + "/stop", key, "{}")
                 : s.client->call("DELETE", "/v1/vms/" + alive, key);
    check_problem(r, 503, "w-alive");
    CHECK_FALSE(r.header("retry-after").empty());
  }
  CHECK(value(*s.pg_pool, "SELECT state FROM vms WHERE id = $1::uuid", {alive}) == "READY");

  // Its worker is gone: the VM went with it. Stop cannot help; delete records it.
  check_problem(s.client->call("POST", "/v1/vms/" + lost + "/stop", key, "{}"), 409, "w-gone");
  auto deleted = s.client->call("DELETE", "/v1/vms/" + lost, key);
  REQUIRE(deleted.status == 202);
  CHECK(deleted.json()["state"] == "DELETED");
  CHECK(value(*s.pg_pool, "SELECT state FROM vms WHERE id = $1::uuid", {lost}) == "DELETED");
  REQUIRE(newest_event(s, lost));

  // Nothing runs for a STOPPED VM: stop is a 409, delete is recorded.
  check_problem(s.client->call("POST", "/v1/vms/" + stopped + "/stop", key, "{}"), 409,
                "already STOPPED");
  CHECK(s.client->call("DELETE", "/v1/vms/" + stopped, key).json()["state"] == "DELETED");
}

TEST_CASE("quotas: vCPUs, memory and VM count refused with 403 naming the quota") {
  ApiStack s;
  const auto key =
      s.tenant_with_key("small", false, {.max_vms = 3, .max_vcpus = 3, .max_memory_mib = 768});
  REQUIRE(s.client->call("POST", "/v1/vms", key, R"({"vcpus":2,"memoryMib":256})").status == 202);
  auto check_quota = [](const Reply& r, const std::string& quota) {
    INFO(r.body);
    CHECK(r.status == 403);
    CHECK(r.header("content-type") == "application/problem+json");
    auto body = r.json();
    CHECK(body["type"] == std::string(kQuotaExceededType));
    REQUIRE(body["errors"].size() == 1);
    CHECK(body["errors"][0]["field"] == quota);
    CHECK(body["detail"].get<std::string>().find(quota) != std::string::npos);
  };
  check_quota(s.client->call("POST", "/v1/vms", key, R"({"vcpus":2,"memoryMib":256})"),
              "max_vcpus");
  check_quota(s.client->call("POST", "/v1/vms", key, R"({"vcpus":1,"memoryMib":1024})"),
              "max_memory_mib");
  REQUIRE(s.client->call("POST", "/v1/vms", key, R"({"vcpus":1,"memoryMib":256})").status == 202);
  // 3 vCPUs and 512 MiB used: one more 256 MiB VM fits memory but not vCPUs.
  check_quota(s.client->call("POST", "/v1/vms", key, R"({"vcpus":1,"memoryMib":256})"),
              "max_vcpus");
  CHECK(value(*s.pg_pool, "SELECT count(*) FROM vms") == "2");
  // A FAILED VM does not count: its vCPUs are free again.
  REQUIRE(s.pg_pool->query("UPDATE vms SET state = 'FAILED' WHERE (spec->>'vcpus')::int = 2"));
  CHECK(s.client->call("POST", "/v1/vms", key, R"({"vcpus":2,"memoryMib":256})").status == 202);
  auto fourth = s.client->call("POST", "/v1/vms", key, R"({"vcpus":0,"memoryMib":128})");
  CHECK(fourth.status == 422);  // a bad spec is named before any quota
}

TEST_CASE("concurrent POSTs with one Idempotency-Key make one VM and one answer") {
  ApiStack s;
  const auto key = s.tenant_with_key("acme");
  constexpr int kClients = 8;
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  std::vector<std::future<Reply>> calls;
  for (int i = 0; i < kClients; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      start.wait();
      return s.client->call("POST", "/v1/vms", key, R"({"vcpus":1,"labels":{"k":"v"}})",
                            {"Idempotency-Key: same-key"});
    }));
  }
  go.set_value();
  std::set<std::string> ids;
  int created = 0, replayed = 0, in_progress = 0;
  std::vector<int> to_retry;
  for (int i = 0; i < kClients; ++i) {
    auto r = calls[static_cast<std::size_t>(i)].get();
    INFO(r.body);
    if (r.status == 202) {
      ids.insert(r.json()["id"].get<std::string>());
      (r.header("idempotent-replayed") == "true" ? replayed : created)++;
    } else {
      // Still running: 409 with Retry-After, and the client retries.
      CHECK(r.status == 409);
      CHECK_FALSE(r.header("retry-after").empty());
      ++in_progress;
      to_retry.push_back(i);
    }
  }
  CHECK(created == 1);
  CHECK(created + replayed + in_progress == kClients);
  for (std::size_t n = 0; n < to_retry.size(); ++n) {
    Reply r;
    for (int attempt = 0; attempt < 50; ++attempt) {
      r = s.client->call("POST", "/v1/vms", key, R"({"vcpus":1,"labels":{"k":"v"}})",
                         {"Idempotency-Key: same-key"});
      if (r.status != 409) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(r.status == 202);
    CHECK(r.header("idempotent-replayed") == "true");
    ids.insert(r.json()["id"].get<std::string>());
  }
  CHECK(ids.size() == 1);  // every client got the one VM
  CHECK(value(*s.pg_pool, "SELECT count(*) FROM vms") == "1");
}
