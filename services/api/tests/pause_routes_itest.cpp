// POST /v1/vms/{id}/pause|resume and GET /v1/templates against real
// PostgreSQL, Redis and nats-server; the worker side is a test subscription
// that checks what it receives.
#include <catch2/catch.hpp>

#include <atomic>

#include "aether/bus/jetstream.hpp"
#include "aether/bus/kv.hpp"
#include "aether/bus/serve.hpp"
#include "aether/v1/vm.pb.h"
#include "aether/v1/worker.pb.h"
#include "api_stack.hpp"

using namespace aether;
using namespace aether::api;
using namespace aether::api::testing;

namespace {

void set_row(ApiStack& s, const std::string& id, const std::string& state,
             const std::string& worker) {
  REQUIRE(
      s.pg_pool->query("UPDATE vms SET state = $2, worker_id = nullif($3, '') WHERE id = $1::uuid",
                       {id, state, worker}));
}

void check_problem(const Reply& r, long status, const std::string& detail_part) {
  INFO(r.body);
  CHECK(r.status == status);
  CHECK(r.header("content-type") == "application/problem+json");
  CHECK(r.json().value("detail", std::string()).find(detail_part) != std::string::npos);
}

}  // namespace

TEST_CASE("pause and resume: tenant-scoped, passed to the worker, no worker never pretends") {
  ApiStack s;
  const auto a = s.tenant_with_key("tenant-a");
  const auto b = s.tenant_with_key("tenant-b");
  auto created = s.client->call("POST", "/v1/vms", a, "{}");
  REQUIRE(created.status == 202);
  const std::string id = created.json()["id"];
  const std::string base = "/v1/vms/" + id;

  // PENDING, no worker: nothing to pause; the VM is not deleted by it.
  check_problem(s.client->call("POST", base + "/pause", a, ""), 409, "PENDING: nothing to pause");
  CHECK(s.client->call("GET", base, a).json()["state"] == "PENDING");
  // Another tenant's VM is a 404 and nothing reaches the bus.
  std::atomic<int> pauses = 0;
  std::atomic<int> resumes = 0;
  {  // a worker holds the VM (its subscriptions end with this block)
    auto pause = bus::serve<v1::PauseVm, v1::VmOpReply>(
        *s.bus, "aether.vm." + id + ".pause", {},
        [&](const v1::PauseVm&, const bus::RequestContext& ctx) -> bus::Result<v1::VmOpReply> {
          CHECK(ctx.tenant == "tenant-a");
          ++pauses;
          v1::VmOpReply reply;
          reply.set_vm_id(id);
          reply.set_state(v1::VM_STATE_PAUSED);
          return reply;
        });
    auto resume = bus::serve<v1::ResumeVm, v1::VmOpReply>(
        *s.bus, "aether.vm." + id + ".resume", {},
        [&](const v1::ResumeVm&, const bus::RequestContext&) -> bus::Result<v1::VmOpReply> {
          if (++resumes == 1) return bus::service_error(409, "no room on worker w-1 to resume");
          v1::VmOpReply reply;
          reply.set_vm_id(id);
          reply.set_state(v1::VM_STATE_READY);
          return reply;
        });
    REQUIRE(pause);
    REQUIRE(resume);
    set_row(s, id, "READY", "w-1");
    check_problem(s.client->call("POST", base + "/pause", b, ""), 404, "no VM");
    CHECK(pauses == 0);

    auto paused = s.client->call("POST", base + "/pause", a, "{}");
    INFO(paused.body);
    CHECK(paused.status == 202);
    CHECK(paused.json()["state"] == "PAUSED");
    CHECK(pauses == 1);
    // A body with fields is refused, naming the field.
    auto bad = s.client->call("POST", base + "/pause", a, R"({"now":true})");
    CHECK(bad.status == 422);
    CHECK(bad.body.find("now") != std::string::npos);
    CHECK(pauses == 1);

    set_row(s, id, "PAUSED", "w-1");
    // The worker's 409 (no room now) passes through.
    check_problem(s.client->call("POST", base + "/resume", a, ""), 409, "no room on worker w-1");
    auto resumed = s.client->call("POST", base + "/resume", a, "");
    INFO(resumed.body);
    CHECK(resumed.status == 202);
    CHECK(resumed.json()["state"] == "READY");
  }
  // The worker is gone (no heartbeat key): the paused VM is lost, said so.
  check_problem(s.client->call("POST", base + "/resume", a, ""), 409, "the VM is lost");
  // PAUSED is a state the list filter knows.
  CHECK(s.client->call("GET", "/v1/vms?state=PAUSED", a).status == 200);
}

TEST_CASE("GET /v1/templates: what the live workers offer, by name and image") {
  ApiStack s;
  const auto key = s.tenant_with_key("tenant-a");
  auto bucket = bus::KvBucket::open(*s.bus, std::string(bus::kWorkersBucket));
  REQUIRE(bucket);
  auto worker = [&](const std::string& id, std::vector<std::pair<std::string, std::string>> ts) {
    v1::WorkerStatus status;
    status.set_worker_id(id);
    for (const auto& [name, image] : ts) {
      auto* t = status.add_templates();
      t->set_name(name);
      if (!image.empty()) {
        t->set_image_id(image);
        t->set_image_source("oci-archive:/srv/" + name + ".tar");
      }
    }
    REQUIRE(bucket->put(id, status.SerializeAsString()));
  };
  worker("w-1", {{"default", ""}, {"python", "sha256:aaa"}});
  worker("w-2", {{"default", ""}, {"python", "sha256:bbb"}});
  REQUIRE(bucket->put("w-garbage", std::string("\xff\xff not protobuf")));

  auto r = s.client->call("GET", "/v1/templates", key);
  INFO(r.body);
  REQUIRE(r.status == 200);
  const auto list = r.json()["templates"];
  REQUIRE(list.size() == 3);
  CHECK(list[0]["name"] == "default");
  CHECK(list[0]["workers"] == nlohmann::json({"w-1", "w-2"}));
  CHECK_FALSE(list[0].contains("imageId"));
  CHECK(list[1]["name"] == "python");
  CHECK(list[1]["imageId"] == "sha256:aaa");
  CHECK(list[1]["workers"] == nlohmann::json({"w-1"}));
  CHECK(list[1]["imageSource"] == "oci-archive:/srv/python.tar");
  CHECK(list[2]["imageId"] == "sha256:bbb");
  CHECK(s.client->call("GET", "/v1/templates", "ak_not_a_key").status == 401);
}
