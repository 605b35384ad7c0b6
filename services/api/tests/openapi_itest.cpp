// Every route's real answers (success and error paths) checked against
// /v1/openapi.json: status documented, Content-Type listed, body valid
// against the schema, documented headers present (tests/openapi_check.py,
// python3-jsonschema). Real PostgreSQL, Redis and nats-server; the worker
// side is a test subscription.
#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

#include "aether/bus/serve.hpp"
#include "aether/devstack/shell.hpp"
#include "aether/v1/exec.pb.h"
#include "aether/v1/files.pb.h"
#include "aether/v1/vm.pb.h"
#include "api_stack.hpp"

using namespace aether;
using namespace aether::api;
using namespace aether::api::testing;
using nlohmann::json;

namespace {

// Records each answer with the document's path template it belongs to.
class Recorder {
 public:
  explicit Recorder(ApiStack& s) : s_(s) {}

  Reply call(const std::string& route, const std::string& method, const std::string& path,
             const std::string& key = {}, const std::string& body = {},
             std::vector<std::string> headers = {}, long timeout_ms = 60000) {
    auto r = s_.client->call(method, path, key, body, std::move(headers), timeout_ms);
    json headers_json = json::object();
    for (const auto& [k, v] : r.headers) headers_json[k] = v;
    lines_.push_back(json{
        {"method", method},
        {"route", route},
        {"status", r.status},
        {"headers", headers_json},
        {"body",
         json::parse(r.body, nullptr, false).is_discarded() &&
                 r.header("content-type") == "application/octet-stream"
             ? std::string()
             : r.body}}.dump(-1, ' ', false, json::error_handler_t::replace));
    return r;
  }

  void write(const std::string& file) const {
    std::ofstream out(file, std::ios::trunc);
    for (const auto& l : lines_) out << l << '\n';
  }

 private:
  ApiStack& s_;
  std::vector<std::string> lines_;
};

void set_state(ApiStack& s, const std::string& id, const std::string& state) {
  REQUIRE(s.pg_pool->query("UPDATE vms SET state = $2 WHERE id = $1::uuid", {id, state}));
}

}  // namespace

TEST_CASE("every route's answers match the OpenAPI document") {
  ApiStack s({.rates = "read=1000/s:1000,write=1000/s:1000,exec=1000/s:1000,events=1/m:1"});
  Recorder rec(s);
  const auto key = s.tenant_with_key("acme", false, {.max_vms = 3});
  const auto op = s.tenant_with_key("ops", true);
  const std::string vm = "/v1/vms/{id}";

  rec.call("/v1/openapi.json", "GET", "/v1/openapi.json");
  // POST /v1/vms: 202, 400, 401, 403 (quota), 413, 415, 422, 200 and 504 (?wait=ready)
  auto created = rec.call("/v1/vms", "POST", "/v1/vms", key, R"({"vcpus":1,"labels":{"a":"b"}})");
  REQUIRE(created.status == 202);
  const std::string id = created.json()["id"];
  const std::string base = "/v1/vms/" + id;
  rec.call("/v1/vms", "POST", "/v1/vms?wait=soon", key, "{}");
  rec.call("/v1/vms", "POST", "/v1/vms", "ak_not_a_key", "{}");
  rec.call("/v1/vms", "POST", "/v1/vms", key, std::string(1100 * 1024, ' '));
  rec.call("/v1/vms", "POST", "/v1/vms", key, "a=b", {"Content-Type: text/plain"});
  rec.call("/v1/vms", "POST", "/v1/vms", key, R"({"vcpus":"two"})");
  CHECK(rec.call("/v1/vms", "POST", "/v1/vms?wait=ready&timeout=300ms", key, "{}").status == 504);
  std::jthread readier([&] {
    for (int i = 0; i < 100; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto r = s.pg_pool->query(
          "UPDATE vms SET state = 'READY' WHERE state = 'PENDING'"
          " AND spec->'labels' @> '{\"w\":\"1\"}'::jsonb RETURNING id");
      if (r && r->size() > 0) return;
    }
  });
  CHECK(
      rec.call("/v1/vms", "POST", "/v1/vms?wait=ready&timeout=20s", key, R"({"labels":{"w":"1"}})")
          .status == 200);
  CHECK(rec.call("/v1/vms", "POST", "/v1/vms", key, "{}").status == 403);  // max_vms 3

  rec.call("/v1/vms", "GET", "/v1/vms?limit=1", key);
  rec.call("/v1/vms", "GET", "/v1/vms?limit=x", key);
  rec.call("/v1/vms", "GET", "/v1/vms");
  rec.call(vm, "GET", base, key);
  rec.call(vm, "GET", "/v1/vms/not-a-uuid", key);
  rec.call(vm, "GET", "/v1/vms/0190a7d2-0000-7000-8000-000000000000", key);
  rec.call(vm + "/events", "GET", base + "/events", key);
  rec.call(vm + "/events", "GET", "/v1/vms/0190a7d2-0000-7000-8000-000000000000/events", key);

  // Guest routes: 409 before READY, then a worker that answers.
  rec.call(vm + "/exec", "POST", base + "/exec", key, R"({"argv":["true"]})");
  rec.call(vm + "/stop", "POST", base + "/stop", key, "{}");  // PENDING: 409
  set_state(s, id, "READY");
  auto exec = bus::serve<v1::ExecRequest, v1::ExecReply>(
      *s.bus, "aether.vm." + id + ".exec", {},
      [&](const v1::ExecRequest& req, const bus::RequestContext&) -> bus::Result<v1::ExecReply> {
        if (!req.stream_inbox().empty()) {
          v1::ExecOutputChunk chunk;
          chunk.set_stream(v1::ExecOutputChunk::STREAM_STDERR);
          chunk.set_data("warn\n");
          chunk.set_seq(1);
          REQUIRE(s.bus->publish(req.stream_inbox(), chunk));
          REQUIRE(s.bus->flush(std::chrono::seconds(2)));
        }
        v1::ExecReply reply;
        reply.set_stdout("hello\n");
        reply.set_exit_code(1);
        reply.set_duration_us(7);
        return reply;
      });
  REQUIRE(exec);
  CHECK(
      rec.call(vm + "/exec", "POST", base + "/exec", key, R"({"argv":["echo","hello"]})").status ==
      200);
  CHECK(rec.call(vm + "/exec", "POST", base + "/exec", key, R"({"argv":["x"]})",
                 {"Accept: application/x-ndjson"})
            .status == 200);
  rec.call(vm + "/exec", "POST", base + "/exec", key, R"({"argv":[]})");
  std::string stored;
  auto put = bus::serve<v1::FilePut, v1::FilePutReply>(
      *s.bus, "aether.vm." + id + ".files.put", {},
      [&](const v1::FilePut& req, const bus::RequestContext&) -> bus::Result<v1::FilePutReply> {
        stored = req.content();
        v1::FilePutReply reply;
        reply.set_path(req.path());
        reply.set_size(req.content().size());
        reply.set_sha256(std::string(64, 'a'));
        return reply;
      });
  auto get = bus::serve<v1::FileGet, v1::FileGetReply>(
      *s.bus, "aether.vm." + id + ".files.get", {},
      [&](const v1::FileGet& req, const bus::RequestContext&) -> bus::Result<v1::FileGetReply> {
        v1::FileGetReply reply;
        reply.set_path(req.path());
        reply.set_content(stored);
        reply.set_sha256(std::string(64, 'a'));
        return reply;
      });
  REQUIRE(put);
  REQUIRE(get);
  CHECK(rec.call(vm + "/files", "PUT", base + "/files?path=/tmp/f", key, "data",
                 {"Content-Type: application/octet-stream"})
            .status == 200);
  CHECK(rec.call(vm + "/files", "GET", base + "/files?path=/tmp/f", key).status == 200);
  rec.call(vm + "/files", "GET", base + "/files?path=rel", key);
  rec.call(vm + "/files", "PUT", base + "/files?path=rel", key, "x");
  auto stop = bus::serve<v1::StopVm, v1::VmOpReply>(
      *s.bus, "aether.vm." + id + ".stop", {},
      [&](const v1::StopVm&, const bus::RequestContext&) -> bus::Result<v1::VmOpReply> {
        v1::VmOpReply reply;
        reply.set_vm_id(id);
        reply.set_state(v1::VM_STATE_STOPPING);
        return reply;
      });
  REQUIRE(stop);
  CHECK(rec.call(vm + "/stop", "POST", base + "/stop", key, R"({"graceSeconds":1})").status == 202);
  rec.call(vm + "/stop", "POST", base + "/stop", key, R"({"graceSeconds":"soon"})");
  rec.call(vm + "/stop", "POST", base + "/stop", key, "x", {"Content-Type: text/plain"});

  // Pause and resume: a worker that answers (202), a body with a field (422).
  auto pause = bus::serve<v1::PauseVm, v1::VmOpReply>(
      *s.bus, "aether.vm." + id + ".pause", {},
      [&](const v1::PauseVm&, const bus::RequestContext&) -> bus::Result<v1::VmOpReply> {
        v1::VmOpReply reply;
        reply.set_vm_id(id);
        reply.set_state(v1::VM_STATE_PAUSED);
        return reply;
      });
  auto resume = bus::serve<v1::ResumeVm, v1::VmOpReply>(
      *s.bus, "aether.vm." + id + ".resume", {},
      [&](const v1::ResumeVm&, const bus::RequestContext&) -> bus::Result<v1::VmOpReply> {
        return bus::service_error(409, "no room on worker w-1 to resume it now");
      });
  REQUIRE(pause);
  REQUIRE(resume);
  CHECK(rec.call(vm + "/pause", "POST", base + "/pause", key, "{}").status == 202);
  rec.call(vm + "/pause", "POST", base + "/pause", key, R"({"x":1})");
  rec.call(vm + "/pause", "POST", base + "/pause", key, "x", {"Content-Type: text/plain"});
  rec.call(vm + "/resume", "POST", base + "/resume", key, "{}");  // the worker's 409
  rec.call(vm + "/resume", "POST", "/v1/vms/0190a7d2-0000-7000-8000-000000000000/resume", key,
           "{}");
  rec.call("/v1/templates", "GET", "/v1/templates", key);
  rec.call("/v1/templates", "GET", "/v1/templates", "ak_not_a_key");

  // DELETE: a PENDING VM no worker took (recorded by the api), then again: 409.
  const std::string pending =
      rec.call("/v1/vms", "GET", "/v1/vms?state=PENDING&limit=1", key).json()["vms"][0]["id"];
  CHECK(rec.call(vm, "DELETE", "/v1/vms/" + pending, key).status == 202);
  CHECK(rec.call(vm, "DELETE", "/v1/vms/" + pending, key).status == 409);
  rec.call(vm, "DELETE", "/v1/vms/0190a7d2-0000-7000-8000-000000000000", key);

  // Events: the stream (cut by the client's timeout), then the 1/min limit.
  CHECK(rec.call("/v1/events", "GET", "/v1/events", key, {}, {"Last-Event-ID: 0"}, 800).status ==
        200);
  CHECK(rec.call("/v1/events", "GET", "/v1/events", key, {}, {}, 800).status == 429);
  rec.call("/v1/events", "GET", "/v1/events", op, {}, {"Last-Event-ID: x"}, 800);

  // Operator routes.
  for (const char* path : {"/v1/workers", "/v1/nodes", "/v1/autoscaler"}) {
    CHECK(rec.call(path, "GET", path, op).status == 200);
    CHECK(rec.call(path, "GET", path, key).status == 403);
  }
  CHECK(rec.call("/v1/tenants", "POST", "/v1/tenants", op, R"({"id":"newco","maxVms":2})").status ==
        201);
  rec.call("/v1/tenants", "POST", "/v1/tenants", op, R"({"id":"newco"})");
  rec.call("/v1/tenants", "POST", "/v1/tenants", op, R"({"id":"Bad Id"})");
  rec.call("/v1/tenants", "POST", "/v1/tenants", key, R"({"id":"x"})");
  auto issued = rec.call("/v1/tenants/{id}/keys", "POST", "/v1/tenants/newco/keys", op, "{}");
  REQUIRE(issued.status == 201);
  rec.call("/v1/tenants/{id}/keys", "POST", "/v1/tenants/nobody/keys", op, "{}");
  CHECK(
      rec.call("/v1/keys/{id}", "DELETE", "/v1/keys/" + issued.json()["id"].get<std::string>(), op)
          .status == 204);
  rec.call("/v1/keys/{id}", "DELETE", "/v1/keys/0190a7d2-0000-7000-8000-000000000000", op);

  // NATS gone: the create is a 503 with Retry-After.
  REQUIRE(s.nats->stop());
  CHECK(rec.call("/v1/vms", "POST", "/v1/vms", op, "{}").status == 503);

  const std::string file =
      std::string(std::getenv("AETHER_BINARY_DIR")) + "/services/api/openapi_exchanges.jsonl";
  rec.write(file);
  const std::string src = std::getenv("AETHER_SOURCE_DIR");
  auto checked = devstack::run_command("python3 " + src + "/services/api/tests/openapi_check.py " +
                                       src + "/services/api/openapi.json " + file + " 2>&1");
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
}
