// The aether-api binary as a whole: started on real servers, ready, then
// PostgreSQL stopped under it (503 problem+json with Retry-After, /readyz
// red naming postgres) and started again (the api recovers by itself).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "aether/bus/kv.hpp"
#include "aether/bus/pull.hpp"
#include "aether/v1/vm.pb.h"
#include "aether/v1/worker.pb.h"
#include "api_process.hpp"

using namespace aether;
using namespace aether::api::testing;

namespace {

template <class F>
long poll_status(F call, long want) {
  long status = 0;
  for (int i = 0; i < 150 && status != want; ++i) {
    status = call().status;
    if (status != want) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return status;
}

}  // namespace

TEST_CASE("PostgreSQL down: 503 with Retry-After and /readyz red, then the api recovers") {
  ApiProcess api;
  const auto key = api.tenant_key("acme");
  auto client = api.client();
  auto created = client.call("POST", "/v1/vms", key, "{}");
  REQUIRE(created.status == 202);
  const std::string id = created.json()["id"];
  REQUIRE(client.call("GET", "/v1/vms/" + id, key).status == 200);

  REQUIRE(postgres().stop());
  // The key is cached for 1 s (AETHER_API_AUTH_CACHE_TTL): past it, every
  // route needs PostgreSQL.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/vms/" + id}, {"GET", "/v1/vms"}, {"POST", "/v1/vms"}}) {
    auto r = client.call(method, path, key, method == "POST" ? "{}" : "");
    INFO(method << " " << path << ": " << r.body);
    CHECK(r.status == 503);
    CHECK(r.header("content-type") == "application/problem+json");
    CHECK_FALSE(r.header("retry-after").empty());
    CHECK(r.json()["status"] == 503);
  }
  REQUIRE(api.wait_ready(503));
  auto ready = api.readyz();
  INFO(ready.body);
  CHECK(ready.body.find("postgres") != std::string::npos);

  REQUIRE(postgres().restart());
  CHECK(poll_status([&] { return client.call("GET", "/v1/vms/" + id, key); }, 200) == 200);
  CHECK(api.wait_ready(200));
  CHECK(client.call("POST", "/v1/vms", key, "{}").status == 202);
  CHECK(client.call("GET", "/v1/vms", key).json()["vms"].size() == 2);
}

TEST_CASE("SIGTERM: the api exits 0") {
  ApiProcess api;
  REQUIRE(api.process->stop(std::chrono::seconds(30)));
  CHECK(api.process->exited_successfully());
}

TEST_CASE("the api answers NATS micro discovery with its role and REST port, until SIGTERM") {
  ApiProcess api;
  auto info = api.bus->request_raw("$SRV.INFO.api", "", {}, std::chrono::seconds(5));
  INFO((info ? info->data : info.error().message));
  REQUIRE(info);
  auto json = nlohmann::json::parse(info->data);
  CHECK(json["type"] == "io.nats.micro.v1.info_response");
  CHECK(json["name"] == "api");
  CHECK(json["metadata"]["role"] == "all");
  CHECK(json["metadata"]["rest_port"] == std::to_string(api.http_port));
  CHECK(json["endpoints"].empty());

  REQUIRE(api.process->stop(std::chrono::seconds(30)));
  auto gone = api.bus->request_raw("$SRV.PING.api", "", {}, std::chrono::seconds(2));
  CHECK_FALSE(gone);
}

TEST_CASE("AETHER_VM_CLASSES: the api publishes a create on the workers' custom class subject") {
  bus::ProvisionConfig provision;
  provision.vm_classes = {{"tiny", 1, 256}, {"big", 4, 8192}};
  ApiProcess api({"AETHER_VM_CLASSES=tiny=1x256MiB,big=4x8GiB"}, provision);
  const auto key = api.tenant_key("acme");
  auto client = api.client();
  for (const auto& [body, klass] : std::vector<std::pair<std::string, std::string>>{
           {R"({"vcpus":1,"memoryMib":256})", "tiny"}, {R"({"vcpus":2})", "big"}}) {
    auto created = client.call("POST", "/v1/vms", key, body);
    INFO(body << " -> " << created.body);
    REQUIRE(created.status == 202);
    auto consumer =
        bus::PullConsumer::bind(*api.bus, "AETHER_CMDS", bus::vm_create_class_consumer(klass));
    REQUIRE(consumer);
    auto msgs = consumer->fetch(1, std::chrono::seconds(5));
    REQUIRE(msgs);
    REQUIRE(msgs->size() == 1);
    CHECK(msgs->front().subject() == "aether.cmd.vm.create." + klass);
    auto command = msgs->front().decode_as<v1::CreateVm>();
    REQUIRE(command);
    CHECK(command->vm_id() == created.json()["id"]);
  }
}

TEST_CASE("a create no live worker serves is refused with 503 naming both tables, nothing queued") {
  bus::ProvisionConfig provision;
  provision.vm_classes = {{"tiny", 1, 256}, {"big", 4, 8192}};
  ApiProcess api({"AETHER_VM_CLASSES=tiny=1x256MiB,big=4x8GiB"}, provision);
  const auto key = api.tenant_key("acme");
  auto client = api.client();
  auto bucket = bus::KvBucket::open(*api.bus, std::string(bus::kWorkersBucket));
  REQUIRE(bucket);
  auto announce = [&](const std::string& id, const bus::VmClassTable& table) {
    v1::WorkerStatus s;
    s.set_worker_id(id);
    s.set_accepting(true);
    for (const auto& c : table) {
      auto* room = s.add_classes();
      room->set_name(c.name);
      room->set_fits(1);
    }
    REQUIRE(bucket->put(id, s.SerializeAsString()));
  };
  const std::string body = R"({"vcpus":1,"memoryMib":256})";

  // Only a worker with the default table is live: a tiny create would never be fetched.
  announce("w-default", bus::default_vm_classes());
  auto refused = poll_status([&] { return client.call("POST", "/v1/vms", key, body); }, 503);
  REQUIRE(refused == 503);
  auto r = client.call("POST", "/v1/vms", key, body);
  INFO(r.body);
  CHECK(r.header("content-type") == "application/problem+json");
  CHECK_FALSE(r.header("retry-after").empty());
  const std::string detail = r.json()["detail"];
  CHECK_THAT(detail, Catch::Contains("create class 'tiny'") &&
                         Catch::Contains("large, medium, small") &&
                         Catch::Contains("AETHER_VM_CLASSES"));
  CHECK(client.call("GET", "/v1/vms", key).json()["vms"].empty());  // nothing written
  auto consumer =
      bus::PullConsumer::bind(*api.bus, "AETHER_CMDS", bus::vm_create_class_consumer("tiny"));
  REQUIRE(consumer);
  auto none = consumer->fetch(1, std::chrono::milliseconds(500));
  CHECK((!none || none->empty()));  // nothing queued

  // A worker with the api's table joins: the same create is taken.
  announce("w-tiny", {{"tiny", 1, 256}, {"big", 4, 8192}});
  CHECK(poll_status([&] { return client.call("POST", "/v1/vms", key, body); }, 202) == 202);
}
