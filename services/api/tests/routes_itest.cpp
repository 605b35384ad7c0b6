// The REST routes against real PostgreSQL, Redis and nats-server. A VM's
// worker side is played by a test subscription on aether.vm.<id>.> that
// checks what it receives (the real worker is in vm_e2e_itest.cpp).
#include <catch2/catch.hpp>
#include <thread>

#include <sstream>
#include "aether/bus/kv.hpp"
#include "aether/v1/exec.pb.h"
#include "aether/v1/files.pb.h"
#include "aether/v1/vm.pb.h"
#include "aether/v1/worker.pb.h"
#include "api_stack.hpp"
#include "vm_json.hpp"

using namespace aether;
using namespace aether::api;
using namespace aether::api::testing;
using nlohmann::json;

namespace {

// The durable consumer serving creates of this size (the default class table).
std::string class_consumer(std::uint32_t vcpus, std::uint64_t memory_mib) {
  const auto& table = bus::default_vm_classes();
  return bus::vm_create_class_consumer(table[bus::vm_class_index(table, vcpus, memory_mib)].name);
}

void set_state(ApiStack& s, const std::string& id, const std::string& state) {
  auto r = s.pg_pool->query("UPDATE vms SET state = $2 WHERE id = $1::uuid", {id, state});
  REQUIRE(r);
}

// Every error answer is problem+json with the RFC 9457 members.
void check_problem(const Reply& r, long status) {
  INFO(r.body);
  CHECK(r.status == status);
  CHECK(r.header("content-type") == "application/problem+json");
  auto body = r.json();
  CHECK(body["status"] == status);
  CHECK(body.contains("title"));
  CHECK(body.contains("detail"));
  CHECK(body.contains("type"));
}

}  // namespace

TEST_CASE("POST /v1/vms writes PENDING, publishes CreateVm, GET and list find it") {
  ApiStack s;
  const auto key = s.tenant_with_key("acme");
  auto created = s.client->call("POST", "/v1/vms", key, R"({"vcpus":2,"labels":{"team":"a"}})",
                                {"X-Request-Id: req-create-1"});
  INFO(created.body);
  REQUIRE(created.status == 202);
  auto vm = created.json();
  const std::string id = vm["id"];
  CHECK(vm["state"] == "PENDING");
  CHECK(vm["spec"]["vcpus"] == 2);
  CHECK(vm["spec"]["memoryMib"] == 256);  // documented default
  CHECK(vm["spec"]["template"] == "default");
  CHECK(created.header("location") == "/v1/vms/" + id);
  CHECK(created.header("x-request-id") == "req-create-1");

  auto got = s.client->call("GET", "/v1/vms/" + id, key);
  REQUIRE(got.status == 200);
  CHECK(got.json()["id"] == id);

  // The command is in AETHER_CMDS with the contract's headers.
  // 2 vCPUs / 256 MiB is class "medium": its subject, its consumer.
  auto consumer = bus::PullConsumer::bind(*s.bus, "AETHER_CMDS", class_consumer(2, 256));
  REQUIRE(consumer);
  auto msgs = consumer->fetch(1, std::chrono::seconds(5));
  REQUIRE(msgs);
  REQUIRE(msgs->size() == 1);
  auto& msg = msgs->front();
  CHECK(msg.headers().get("Nats-Msg-Id") == "req-create-1");
  CHECK(msg.tenant() == "acme");
  CHECK(msg.headers().get("traceparent").has_value());
  auto command = msg.decode_as<v1::CreateVm>();
  REQUIRE(command);
  CHECK(command->vm_id() == id);
  CHECK(command->spec().vcpus() == 2);
  CHECK(msg.subject() == "aether.cmd.vm.create.medium");

  s.client->call("POST", "/v1/vms", key, R"({"labels":{"team":"b"}})");
  auto all = s.client->call("GET", "/v1/vms?limit=1", key);
  REQUIRE(all.status == 200);
  CHECK(all.json()["vms"].size() == 1);
  CHECK_FALSE(all.json()["nextCursor"].is_null());
  auto page2 = s.client->call(
      "GET", "/v1/vms?limit=1&cursor=" + all.json()["nextCursor"].get<std::string>(), key);
  REQUIRE(page2.status == 200);
  CHECK(page2.json()["vms"][0]["id"] != all.json()["vms"][0]["id"]);
  auto team_a = s.client->call("GET", "/v1/vms?label=team=a", key);
  REQUIRE(team_a.json()["vms"].size() == 1);
  CHECK(team_a.json()["vms"][0]["id"] == id);
  CHECK(s.client->call("GET", "/v1/vms?state=READY", key).json()["vms"].empty());
}

TEST_CASE("bad input gets the right 4xx naming the field") {
  ApiStack s;
  const auto key = s.tenant_with_key("acme");
  auto unknown = s.client->call("POST", "/v1/vms", key, R"({"vcpu":2})");
  check_problem(unknown, 422);
  CHECK(unknown.json()["errors"][0]["field"] == "vcpu");
  auto range = s.client->call("POST", "/v1/vms", key, R"({"vcpus":1000,"memoryMib":"x"})");
  check_problem(range, 422);
  CHECK(range.json()["errors"].size() == 2);
  check_problem(s.client->call("POST", "/v1/vms", key, R"({"vcpus":)"), 400);
  check_problem(s.client->call("POST", "/v1/vms", key, R"({"vcpus":1,"vcpus":2})"), 400);
  check_problem(s.client->call("POST", "/v1/vms", key, "{\"template\":\"\xff\"}"), 400);
  check_problem(s.client->call("POST", "/v1/vms", key, "x=1", {"Content-Type: text/plain"}), 415);
  check_problem(s.client->call("GET", "/v1/vms/not-a-uuid", key), 400);
  check_problem(s.client->call("GET", "/v1/vms?limit=0", key), 400);
  check_problem(s.client->call("GET", "/v1/vms?state=NAPPING", key), 400);
  check_problem(s.client->call("POST", "/v1/vms?wait=soon", key, "{}"), 400);
  check_problem(s.client->call("GET", "/v1/vms/0190a7d2-0000-7000-8000-000000000000", key), 404);
  // Nothing above reached the bus or the table.
  CHECK(value(*s.pg_pool, "SELECT count(*) FROM vms") == "0");
}

TEST_CASE("auth: 401 without or with a bad key, 403 without the scope") {
  ApiStack s;
  const auto key = s.tenant_with_key("acme");
  auto none = s.client->call("GET", "/v1/vms");
  check_problem(none, 401);
  CHECK(none.header("www-authenticate").find("Bearer") == 0);
  check_problem(s.client->call("GET", "/v1/vms", "ak_nothing_here"), 401);
  check_problem(s.client->call("GET", "/v1/nodes", key), 403);
  check_problem(s.client->call("POST", "/v1/tenants", key, R"({"id":"evil"})"), 403);
  // The document is public.
  auto doc = s.client->call("GET", "/v1/openapi.json");
  REQUIRE(doc.status == 200);
  CHECK(doc.json()["openapi"] == "3.1.0");
}

TEST_CASE("tenant B gets 404 on tenant A's VM on every route") {
  ApiStack s;
  const auto a = s.tenant_with_key("tenant-a");
  const auto b = s.tenant_with_key("tenant-b");
  const std::string id = s.client->call("POST", "/v1/vms", a, "{}").json()["id"];
  set_state(s, id, "READY");
  // A worker that would answer anything: it must never be asked.
  std::atomic<int> asked{0};
  auto worker = bus::serve_raw(*s.bus, "aether.vm." + id + ".>", {},
                               [&](std::string_view, const bus::RequestContext&) {
                                 ++asked;
                                 return bus::Result<std::string>(std::string());
                               });
  REQUIRE(worker);
  const std::string base = "/v1/vms/" + id;
  check_problem(s.client->call("GET", base, b), 404);
  check_problem(s.client->call("DELETE", base, b), 404);
  check_problem(s.client->call("POST", base + "/stop", b, "{}"), 404);
  check_problem(s.client->call("GET", base + "/events", b), 404);
  check_problem(s.client->call("POST", base + "/exec", b, R"({"argv":["true"]})"), 404);
  check_problem(s.client->call("PUT", base + "/files?path=/tmp/x", b, "data"), 404);
  check_problem(s.client->call("GET", base + "/files?path=/tmp/x", b), 404);
  CHECK(s.client->call("GET", "/v1/vms", b).json()["vms"].empty());
  CHECK(asked.load() == 0);
  CHECK(s.client->call("GET", base, a).status == 200);
}

TEST_CASE("exec, files, stop and delete go to the worker holding the VM") {
  ApiStack s;
  const auto key = s.tenant_with_key("acme");
  const std::string id = s.client->call("POST", "/v1/vms", key, "{}").json()["id"];
  const std::string base = "/v1/vms/" + id;
  check_problem(s.client->call("POST", base + "/exec", key, R"({"argv":["true"]})"), 409);
  set_state(s, id, "READY");
  check_problem(s.client->call("POST", base + "/exec", key, R"({"argv":["true"]})"),
                409);  // no worker
  std::string stored;
  auto exec = bus::serve<v1::ExecRequest, v1::ExecReply>(
      *s.bus, "aether.vm." + id + ".exec", {},
      [&](const v1::ExecRequest& req,
          const bus::RequestContext& ctx) -> bus::Result<v1::ExecReply> {
        CHECK(ctx.tenant == "acme");
        v1::ExecReply reply;
        if (!req.stream_inbox().empty()) {
          v1::ExecOutputChunk chunk;
          chunk.set_stream(v1::ExecOutputChunk::STREAM_STDOUT);
          chunk.set_data("line one\n");
          chunk.set_seq(1);
          REQUIRE(s.bus->publish(req.stream_inbox(), chunk));
          REQUIRE(s.bus->flush(std::chrono::seconds(2)));
        } else {
          reply.set_stdout(req.argv(0) + " \xff out");
        }
        reply.set_exit_code(req.argv_size() == 2 ? 3 : 0);
        reply.set_stderr(req.stdin());
        reply.set_duration_us(42);
        return reply;
      });
  REQUIRE(exec);
  auto ran = s.client->call("POST", base + "/exec", key,
                            R"({"argv":["echo","x"],"stdin":"in","timeoutMs":5000})");
  INFO(ran.body);
  REQUIRE(ran.status == 200);
  auto result = ran.json();
  CHECK(result["exitCode"] == 3);
  CHECK(result["stdout"] == "echo \xef\xbf\xbd out");  // invalid byte replaced
  CHECK(result["stderr"] == "in");
  CHECK(result["durationUs"] == 42);
  auto b64 = s.client->call("POST", base + "/exec", key, R"({"argv":["a"],"encoding":"base64"})");
  CHECK(b64.json()["stdout"] == base64_encode("a \xff out"));
  check_problem(s.client->call("POST", base + "/exec", key, R"({"argv":[]})"), 422);
  check_problem(s.client->call("POST", base + "/exec", key, R"({"cmd":"ls"})"), 422);

  auto streamed = s.client->call("POST", base + "/exec", key, R"({"argv":["x"]})",
                                 {"Accept: application/x-ndjson"});
  REQUIRE(streamed.status == 200);
  CHECK(streamed.header("content-type") == "application/x-ndjson");
  std::vector<json> lines;
  std::istringstream in(streamed.body);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["data"] == "line one\n");
  CHECK(lines[0]["stream"] == "stdout");
  CHECK(lines[1]["done"] == true);
  CHECK(lines[1]["exitCode"] == 0);

  auto files_put = bus::serve<v1::FilePut, v1::FilePutReply>(
      *s.bus, "aether.vm." + id + ".files.put", {},
      [&](const v1::FilePut& req, const bus::RequestContext&) -> bus::Result<v1::FilePutReply> {
        stored = req.content();
        v1::FilePutReply reply;
        reply.set_path(req.path());
        reply.set_size(req.content().size());
        reply.set_sha256("ab");
        return reply;
      });
  auto files_get = bus::serve<v1::FileGet, v1::FileGetReply>(
      *s.bus, "aether.vm." + id + ".files.get", {},
      [&](const v1::FileGet& req, const bus::RequestContext&) -> bus::Result<v1::FileGetReply> {
        v1::FileGetReply reply;
        reply.set_path(req.path());
        reply.set_content(stored);
        reply.set_sha256("ab");
        return reply;
      });
  REQUIRE(files_put);
  REQUIRE(files_get);
  auto put = s.client->call("PUT", base + "/files?path=/root/a.bin", key, std::string("\0\1\2", 3),
                            {"Content-Type: application/octet-stream"});
  REQUIRE(put.status == 200);
  CHECK(put.json()["size"] == 3);
  CHECK(put.header("etag") == "\"ab\"");
  auto get = s.client->call("GET", base + "/files?path=/root/a.bin", key);
  REQUIRE(get.status == 200);
  CHECK(get.body == std::string("\0\1\2", 3));
  CHECK(get.header("content-length") == "3");
  check_problem(s.client->call("GET", base + "/files?path=relative", key), 400);

  auto stop = bus::serve<v1::StopVm, v1::VmOpReply>(
      *s.bus, "aether.vm." + id + ".stop", {},
      [&](const v1::StopVm& req, const bus::RequestContext&) -> bus::Result<v1::VmOpReply> {
        CHECK(req.grace_seconds() == 3);
        v1::VmOpReply reply;
        reply.set_vm_id(id);
        reply.set_state(v1::VM_STATE_STOPPING);
        return reply;
      });
  REQUIRE(stop);
  auto stopped = s.client->call("POST", base + "/stop", key, R"({"graceSeconds":3})");
  REQUIRE(stopped.status == 202);
  CHECK(stopped.json()["state"] == "STOPPING");
  check_problem(s.client->call("POST", base + "/stop", key, R"({"graceSeconds":-1})"), 422);
}

TEST_CASE("Idempotency-Key replays the first answer and refuses another body") {
  ApiStack s;
  const auto key = s.tenant_with_key("acme");
  auto first = s.client->call("POST", "/v1/vms", key, R"({"vcpus":1})", {"Idempotency-Key: k1"});
  REQUIRE(first.status == 202);
  auto again = s.client->call("POST", "/v1/vms", key, R"({"vcpus":1})", {"Idempotency-Key: k1"});
  REQUIRE(again.status == 202);
  CHECK(again.json()["id"] == first.json()["id"]);
  CHECK(again.header("idempotent-replayed") == "true");
  check_problem(s.client->call("POST", "/v1/vms", key, R"({"vcpus":2})", {"Idempotency-Key: k1"}),
                422);
  CHECK(value(*s.pg_pool, "SELECT count(*) FROM vms") == "1");
}

TEST_CASE("rate limit: 429 with Retry-After, then allowed again") {
  ApiStack s({.rates = "read=5/s:2,write=100/s:100,exec=100/s:100,events=10/s:10"});
  const auto key = s.tenant_with_key("acme");
  CHECK(s.client->call("GET", "/v1/vms", key).status == 200);
  CHECK(s.client->call("GET", "/v1/vms", key).status == 200);
  auto limited = s.client->call("GET", "/v1/vms", key);
  check_problem(limited, 429);
  CHECK_FALSE(limited.header("retry-after").empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  CHECK(s.client->call("GET", "/v1/vms", key).status == 200);
}

TEST_CASE("quota: the create over max_vms is refused before anything is published") {
  ApiStack s;
  const auto key = s.tenant_with_key("small", false, {.max_vms = 1});
  REQUIRE(s.client->call("POST", "/v1/vms", key, "{}").status == 202);
  auto over = s.client->call("POST", "/v1/vms", key, "{}");
  check_problem(over, 403);
  CHECK(over.json()["errors"][0]["field"] == "max_vms");
  auto info = bus::PullConsumer::bind(*s.bus, "AETHER_CMDS", class_consumer(1, 256));
  REQUIRE(info);
  auto msgs = info->fetch(5, std::chrono::milliseconds(500));
  REQUIRE(msgs);
  CHECK(msgs->size() == 1);
}

TEST_CASE("a dependency stopped: 503 with Retry-After, then recovery") {
  ApiStack s;
  const auto key = s.tenant_with_key("acme");
  REQUIRE(s.client->call("GET", "/v1/vms", key).status == 200);
  REQUIRE(s.redis_server->stop());
  // Tokens this replica leased before may still be spent (for at most
  // AETHER_RATE_LIMIT_LEASE, 100 ms): then it fails closed.
  Reply down;
  for (int i = 0; i < 50 && down.status != 503; ++i) {
    down = s.client->call("GET", "/v1/vms", key);
    if (down.status != 503) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  check_problem(down, 503);
  CHECK_FALSE(down.header("retry-after").empty());
  REQUIRE(s.redis_server->restart());
  long status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = s.client->call("GET", "/v1/vms", key).status;
  }
  CHECK(status == 200);

  REQUIRE(s.nats->stop());
  auto no_bus = s.client->call("POST", "/v1/vms", key, "{}");
  check_problem(no_bus, 503);
  // The row written before the publish failed says why.
  CHECK(value(*s.pg_pool, "SELECT state FROM vms") == "FAILED");
  REQUIRE(s.nats->restart());
  status = 0;
  for (int i = 0; i < 100 && status != 202; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    status = s.client->call("POST", "/v1/vms", key, "{}").status;
  }
  CHECK(status == 202);
}

TEST_CASE("operator routes: tenants, keys, revoke, nodes, workers, autoscaler") {
  ApiStack s;
  const auto op = s.tenant_with_key("ops", true);
  auto tenant = s.client->call("POST", "/v1/tenants", op, R"({"id":"newco","maxVms":3})");
  INFO(tenant.body);
  REQUIRE(tenant.status == 201);
  CHECK(tenant.json()["maxVms"] == 3);
  check_problem(s.client->call("POST", "/v1/tenants", op, R"({"id":"newco"})"), 409);
  check_problem(s.client->call("POST", "/v1/tenants", op, R"({"id":"Bad Id"})"), 422);
  auto issued = s.client->call("POST", "/v1/tenants/newco/keys", op, "{}");
  REQUIRE(issued.status == 201);
  const std::string new_key = issued.json()["key"];
  CHECK(s.client->call("GET", "/v1/vms", new_key).status == 200);
  REQUIRE(
      s.client->call("DELETE", "/v1/keys/" + issued.json()["id"].get<std::string>(), op).status ==
      204);
  check_problem(s.client->call("GET", "/v1/vms", new_key), 401);
  CHECK(s.client->call("GET", "/v1/nodes", op).json()["nodes"].is_array());
  CHECK(s.client->call("GET", "/v1/autoscaler", op).json()["decisions"].is_array());
  // A worker's heartbeat as the worker writes it (protobuf), beside a value that
  // is not one: the first is answered as proto3 JSON, the second left out.
  auto bucket = bus::KvBucket::open(*s.bus, std::string(bus::kWorkersBucket));
  REQUIRE(bucket);
  v1::WorkerStatus hb;
  hb.set_worker_id("w-7");
  hb.set_node("node-a");
  hb.set_vms(2);
  hb.mutable_capacity()->set_vcpus(8);
  REQUIRE(bucket->put("w-7", hb.SerializeAsString()));
  REQUIRE(bucket->put("w-garbage", std::string("\xff\xff not protobuf")));
  auto workers = s.client->call("GET", "/v1/workers", op);
  INFO(workers.body);
  REQUIRE(workers.status == 200);
  const auto list = workers.json()["workers"];
  REQUIRE(list.size() == 1);
  CHECK(list[0]["workerId"] == "w-7");
  CHECK(list[0]["node"] == "node-a");
  CHECK(list[0]["vms"] == 2);
  CHECK(list[0]["capacity"]["vcpus"] == 8);
}

TEST_CASE("GET /v1/events: the caller's events only, resumed with Last-Event-ID") {
  ApiStack s;
  const auto a = s.tenant_with_key("tenant-a");
  auto publish = [&](const std::string& tenant, const std::string& vm, v1::VmState state) {
    v1::VmEvent event;
    event.set_vm_id(vm);
    event.set_tenant(tenant);
    event.set_state(state);
    auto ack = s.bus->js_publish("aether.evt.vm." + vm + ".x", event, {.tenant = tenant});
    REQUIRE(ack);
    return ack->sequence;
  };
  const auto first = publish("tenant-a", "vm-1", v1::VM_STATE_BOOTING);
  publish("tenant-b", "vm-2", v1::VM_STATE_READY);
  const auto third = publish("tenant-a", "vm-1", v1::VM_STATE_READY);

  auto all = s.client->call("GET", "/v1/events", a, std::string(), {"Last-Event-ID: 0"}, 1500);
  CHECK(all.status == 200);
  CHECK(all.header("content-type") == "text/event-stream");
  CHECK(all.body.find("id: " + std::to_string(first) + "\nevent: vm\n") != std::string::npos);
  CHECK(all.body.find("id: " + std::to_string(third) + "\n") != std::string::npos);
  CHECK(all.body.find("vm-2") == std::string::npos);  // tenant B's
  // Each data line is a VmEvent as GET /v1/vms/{id}/events gives it: short
  // state names and its stream sequence (not the bus's proto3 JSON).
  std::vector<nlohmann::json> data;
  for (std::size_t at = all.body.find("data: "); at != std::string::npos;
       at = all.body.find("data: ", at + 1)) {
    const auto end = all.body.find('\n', at);
    data.push_back(nlohmann::json::parse(all.body.substr(at + 6, end - at - 6)));
  }
  REQUIRE(data.size() == 2);
  CHECK(data[0] == nlohmann::json{{"sequence", first}, {"vmId", "vm-1"}, {"state", "BOOTING"}});
  CHECK(data[1]["state"] == "READY");
  CHECK(data[1]["sequence"] == third);

  auto resumed = s.client->call("GET", "/v1/events", a, std::string(),
                                {"Last-Event-ID: " + std::to_string(first)}, 1500);
  CHECK(resumed.body.find("id: " + std::to_string(first) + "\n") == std::string::npos);
  CHECK(resumed.body.find("id: " + std::to_string(third) + "\n") != std::string::npos);
  check_problem(s.client->call("GET", "/v1/events", a, std::string(), {"Last-Event-ID: x"}), 400);
}

TEST_CASE("GET /v1/vms/{id} from the read cache: tenant-scoped, dropped on the VM's event") {
  ApiStack s({.vm_cache_ttl = std::chrono::seconds(30)});
  const auto a = s.tenant_with_key("tenant-a");
  const auto b = s.tenant_with_key("tenant-b");
  const std::string id = s.client->call("POST", "/v1/vms", a, "{}").json()["id"];
  const std::string path = "/v1/vms/" + id;
  REQUIRE(s.client->call("GET", path, a).json()["state"] == "PENDING");
  check_problem(s.client->call("GET", path, b), 404);  // cached, still another tenant's
  CHECK(s.vm_cache->stats().hits >= 1);
  // The projector's write (here by SQL) and its event on the bus: the event
  // drops the row, and reads go to PostgreSQL from then on.
  set_state(s, id, "READY");
  v1::VmEvent event;
  event.set_vm_id(id);
  event.set_tenant("tenant-a");
  event.set_state(v1::VM_STATE_READY);
  REQUIRE(s.bus->publish("aether.evt.vm." + id + ".ready", event));
  std::string state;
  for (int i = 0; i < 100 && state != "READY"; ++i) {
    state = s.client->call("GET", path, a).json()["state"];
    if (state != "READY") std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(state == "READY");
  check_problem(s.client->call("GET", path, b), 404);
}

namespace {

std::vector<std::string> header_names(const Reply& r) {
  std::vector<std::string> names;
  for (const auto& [k, v] : r.headers) {
    if (k != "date") names.push_back(k);
  }
  return names;
}

std::vector<std::string> body_keys(const Reply& r) {
  std::vector<std::string> keys;
  const auto body = r.json();
  for (const auto& [k, v] : body.items()) keys.push_back(k);
  return keys;
}

}  // namespace

TEST_CASE("GET /v1/vms/{id} on the io thread: the pool's headers and body, refusals hold") {
  // Leased tokens that stay spendable for the whole test (2 per lease: burst / 4),
  // so which path answers is decided by what is in memory, not by timing.
  ApiStack s({.rates = "read=6/m:8,write=100/s:100,exec=100/s:100,events=10/s:10",
              .vm_cache_ttl = std::chrono::seconds(30),
              .lease_ttl = std::chrono::seconds(30),
              .auth_cache_ttl = std::chrono::seconds(30)});
  const auto a = s.tenant_with_key("tenant-a");
  const auto b = s.tenant_with_key("tenant-b");
  const std::string id = s.client->call("POST", "/v1/vms", a, "{}").json()["id"];
  const std::string path = "/v1/vms/" + id;

  // First read: key not cached, no lease, row not cached: the pool answers
  // (and fills all three). Second: all in memory, the io thread answers.
  const double io0 = s.io_answers();
  auto pooled = s.client->call("GET", path, a);
  REQUIRE(pooled.status == 200);
  CHECK(s.io_answers() == io0);
  auto fast = s.client->call("GET", path, a);
  REQUIRE(fast.status == 200);
  CHECK(s.io_answers() == io0 + 1);
  CHECK(header_names(fast) == header_names(pooled));
  CHECK(body_keys(fast) == body_keys(pooled));
  CHECK(fast.json() == pooled.json());
  CHECK(fast.header("ratelimit-limit") == "8");
  CHECK(fast.header("x-content-type-options") == "nosniff");
  CHECK(fast.header("x-request-id").size() == 32);
  CHECK_FALSE(fast.header("traceparent").empty());

  // Another tenant: 404 from the cached row on the io thread, as the pool
  // answers it (tenant B's first call fills its key and lease on the pool).
  auto b_pooled = s.client->call("GET", path, b);
  check_problem(b_pooled, 404);
  const double io1 = s.io_answers();
  auto b_fast = s.client->call("GET", path, b);
  check_problem(b_fast, 404);
  CHECK(s.io_answers() == io1 + 1);
  CHECK(header_names(b_fast) == header_names(b_pooled));
  CHECK(b_fast.json() == b_pooled.json());

  // Spent tokens: 8 per key; once Redis refused, the replica refuses locally
  // (on the io thread) until Redis' Retry-After (10 s at 6/m), with the same
  // 429 as the pool's.
  std::vector<Reply> refused;
  for (int i = 0; i < 12 && refused.size() < 2; ++i) {
    auto r = s.client->call("GET", path, a);
    if (r.status == 429) refused.push_back(r);
  }
  REQUIRE(refused.size() == 2);
  const double io2 = s.io_answers();
  auto refused_fast = s.client->call("GET", path, a);
  check_problem(refused_fast, 429);
  CHECK(s.io_answers() == io2 + 1);
  CHECK(header_names(refused_fast) == header_names(refused.front()));
  CHECK_FALSE(refused_fast.header("retry-after").empty());

  // A revoked key: refused at once on this replica (forget() drops it from
  // the cache; the pool reads the revocation), then refused on the io thread.
  auto keys = s.keys->list("tenant-b");
  REQUIRE(keys);
  REQUIRE(keys->size() == 1);
  REQUIRE(s.keys->revoke(keys->front().id));
  s.auth->forget(keys->front().id);
  auto revoked = s.client->call("GET", path, b);
  check_problem(revoked, 401);
  const double io3 = s.io_answers();
  auto revoked_fast = s.client->call("GET", path, b);
  check_problem(revoked_fast, 401);
  CHECK(s.io_answers() == io3 + 1);
  CHECK(revoked_fast.header("www-authenticate") == revoked.header("www-authenticate"));
  CHECK(revoked_fast.json() == revoked.json());
}

TEST_CASE("GET /v1/vms/{id}: a key revoked elsewhere is refused once its cache entry expires") {
  ApiStack s({.vm_cache_ttl = std::chrono::seconds(30),
              .lease_ttl = std::chrono::seconds(30),
              .auth_cache_ttl = std::chrono::seconds(2)});
  const auto a = s.tenant_with_key("tenant-a");
  const std::string id = s.client->call("POST", "/v1/vms", a, "{}").json()["id"];
  const std::string path = "/v1/vms/" + id;
  REQUIRE(s.client->call("GET", path, a).status == 200);
  const double io0 = s.io_answers();
  REQUIRE(s.client->call("GET", path, a).status == 200);
  CHECK(s.io_answers() == io0 + 1);
  // Revoked by another replica (no forget() here): the cached acceptance
  // lasts the auth cache TTL (2 s here), then the pool reads it.
  auto keys = s.keys->list("tenant-a");
  REQUIRE(keys);
  REQUIRE(s.keys->revoke(keys->front().id));
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  check_problem(s.client->call("GET", path, a), 401);
  check_problem(s.client->call("GET", path, a), 401);
}
