// aetherctl's bus commands against a real nats-server with the contract's
// streams: what a person scripting against NATS would do.
#include <catch2/catch.hpp>
#include <sstream>

#include "aether/bus/bus.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/v1/vm.pb.h"
#include "aether/v1/worker.pb.h"
#include "cli.hpp"
#include "ctl_error.hpp"

using namespace aether;
using Json = nlohmann::json;

namespace {

struct Run {
  int code;
  std::string out;
  std::string err;
};

struct Bus {
  devstack::NatsServer server;
  bus::Connection connection;

  Run ctl(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--nats-url", server.url()});
    std::ostringstream out;
    std::ostringstream err;
    int code = ctl::run(args, out, err);
    return {code, out.str(), err.str()};
  }
};

Bus start() {
  auto server = devstack::NatsServer::start();
  REQUIRE(server.has_value());
  auto connection = bus::Connection::connect({.url = server->url(), .name = "aetherctl-itest"});
  REQUIRE(connection.has_value());
  REQUIRE(bus::provision(*connection).has_value());
  return Bus{std::move(*server), std::move(*connection)};
}

}  // namespace

TEST_CASE("bus publish stores a JSON CreateVm with its request id as Nats-Msg-Id") {
  auto b = start();
  std::string create =
      R"({"vmId":"0190a1b2-0000-7000-8000-000000000001","tenant":"acme","requestId":"req-1",)"
      R"("spec":{"template":"default","vcpus":1,"memoryMib":256}})";
  auto first = b.ctl({"-o", "json", "bus", "publish", "aether.cmd.vm.create", "--json", create});
  INFO(first.err);
  REQUIRE(first.code == ctl::kExitOk);
  Json ack = Json::parse(first.out);
  CHECK(ack["stream"] == "AETHER_CMDS");
  CHECK(ack["duplicate"] == false);
  CHECK(ack["msgId"] == "req-1");
  CHECK(ack["traceId"].get<std::string>().size() == 32);

  // A retry of the same command is a duplicate inside the stream's window.
  auto again = b.ctl({"-o", "json", "bus", "publish", "aether.cmd.vm.create", "--json", create});
  REQUIRE(again.code == ctl::kExitOk);
  CHECK(Json::parse(again.out)["duplicate"] == true);
  CHECK(Json::parse(again.out)["sequence"] == ack["sequence"]);

  // What is stored is the JSON with the contract's headers.
  auto consumer = bus::PullConsumer::bind(b.connection, "AETHER_CMDS", "vm-create");
  REQUIRE(consumer.has_value());
  auto msgs = consumer->fetch(1, std::chrono::seconds(5));
  REQUIRE(msgs.has_value());
  REQUIRE(msgs->size() == 1);
  auto& m = msgs->front();
  CHECK(m.headers().get("Content-Type") == "application/json");
  CHECK(m.headers().get("Nats-Msg-Id") == "req-1");
  CHECK(m.headers().get("traceparent").has_value());
  auto decoded = m.decode_as<v1::CreateVm>();
  REQUIRE(decoded.has_value());
  CHECK(decoded->spec().memory_mib() == 256);
  (void)m.ack();
}

TEST_CASE("bus publish refuses a payload that does not fit the subject's type, naming it") {
  auto b = start();
  auto bad =
      b.ctl({"bus", "publish", "aether.cmd.vm.create", "--json", R"({"vmId":"x","spce":{}})"});
  CHECK(bad.code == ctl::kExitInvalid);
  CHECK(bad.err.find("aether.v1.CreateVm") != std::string::npos);
  CHECK(bad.err.find("spce") != std::string::npos);
  auto not_json = b.ctl({"bus", "publish", "aether.cmd.vm.create", "--json", "{nope"});
  CHECK(not_json.code == ctl::kExitInvalid);
}

TEST_CASE("bus request prints the reply, and says so when nobody serves the subject") {
  auto b = start();
  auto sub = bus::serve<v1::VmStatusRequest, v1::VmStatusReply>(
      b.connection, "aether.vm.vm-7.status", {},
      [](const v1::VmStatusRequest&,
         const bus::RequestContext& ctx) -> bus::Result<v1::VmStatusReply> {
        v1::VmStatusReply reply;
        reply.set_vm_id("vm-7");
        reply.set_state(v1::VM_STATE_READY);
        reply.set_worker_id(ctx.tenant.empty() ? "no-tenant" : "w-" + ctx.tenant);
        return reply;
      });
  REQUIRE(sub.has_value());
  // aetherctl has its own connection: the server must have the SUB before
  // aetherctl's request arrives (it failed once under load without this).
  REQUIRE(b.connection.flush(std::chrono::seconds(5)));
  auto r = b.ctl({"--tenant", "acme", "-o", "json", "bus", "request", "aether.vm.vm-7.status"});
  INFO(r.err);
  REQUIRE(r.code == ctl::kExitOk);
  Json reply = Json::parse(r.out);
  CHECK(reply["state"] == "VM_STATE_READY");
  CHECK(reply["workerId"] == "w-acme");

  auto proto = b.ctl({"-o", "json", "bus", "request", "aether.vm.vm-7.status", "--protobuf"});
  REQUIRE(proto.code == ctl::kExitOk);
  CHECK(Json::parse(proto.out)["vmId"] == "vm-7");

  auto nobody = b.ctl({"bus", "request", "aether.vm.vm-8.status"});
  CHECK(nobody.code == ctl::kExitNotFound);

  // --bus commands use the same subjects.
  auto get = b.ctl({"--bus", "-o", "json", "vm", "get", "vm-7"});
  REQUIRE(get.code == ctl::kExitOk);
  CHECK(Json::parse(get.out)["vmId"] == "vm-7");
  auto gone = b.ctl({"--bus", "vm", "get", "vm-8"});
  CHECK(gone.code == ctl::kExitNotFound);
  CHECK(gone.err.find("no worker holds this VM") != std::string::npos);
}

TEST_CASE("services lists NATS micro services, workers --bus reads the heartbeat bucket") {
  auto b = start();
  auto svc = bus::Service::start(b.connection, {.name = "vm-worker", .version = "0.1.0"});
  REQUIRE(svc.has_value());
  REQUIRE(b.connection.flush(std::chrono::seconds(5)));
  auto services = b.ctl({"-o", "json", "services"});
  REQUIRE(services.code == ctl::kExitOk);
  Json list = Json::parse(services.out)["services"];
  REQUIRE(list.size() == 1);
  CHECK(list[0]["name"] == "vm-worker");

  auto kv = bus::KvBucket::open(b.connection, std::string(bus::kWorkersBucket));
  REQUIRE(kv.has_value());
  v1::WorkerStatus status;
  status.set_worker_id("w1");
  status.set_vms(3);
  status.mutable_capacity()->set_vcpus(8);
  REQUIRE(kv->put("w1", status.SerializeAsString()).has_value());
  auto workers = b.ctl({"--bus", "-o", "json", "workers"});
  INFO(workers.err);
  REQUIRE(workers.code == ctl::kExitOk);
  Json w = Json::parse(workers.out)["workers"];
  REQUIRE(w.size() == 1);
  CHECK(w[0]["workerId"] == "w1");
  CHECK(w[0]["vms"] == 3);
  auto table = b.ctl({"--bus", "workers"});
  CHECK(table.out.find("w1") != std::string::npos);
}

TEST_CASE("a NATS that is not there is 'unavailable'") {
  std::ostringstream out;
  std::ostringstream err;
  int code = ctl::run({"--nats-url", "nats://127.0.0.1:1", "services"}, out, err);
  CHECK(code == ctl::kExitUnavailable);
  CHECK(err.str().find("nats://127.0.0.1:1") != std::string::npos);
}
