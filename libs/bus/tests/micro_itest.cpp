// NATS micro v1 discovery answered by libs/bus, read as any micro client would.
#include <nlohmann/json.hpp>

#include "aether/v1/vm.pb.h"
#include "fixture.hpp"

using namespace aether::bus;
using namespace std::chrono_literals;
using aether::v1::CreateVm;
using aether::v1::VmOpReply;

namespace {
nlohmann::json ask(Connection& bus, const std::string& subject) {
  auto reply = bus.request_raw(subject, "", {}, 5s);
  INFO(subject << ": " << bus_test::describe(reply));
  REQUIRE(reply);
  return nlohmann::json::parse(reply->data);
}
}  // namespace

TEST_CASE("micro PING/INFO/STATS answer with the spec's fields and counts") {
  auto stack = bus_test::start_stack();
  auto service = Service::start(*stack.bus, {.name = "vm-worker",
                                             .version = "0.1.0",
                                             .description = "boots microVMs",
                                             .metadata = {{"node", "n1"}}});
  INFO(bus_test::describe(service));
  REQUIRE(service);
  auto& svc = **service;
  REQUIRE(svc.add_endpoint<CreateVm, VmOpReply>(
      {.name = "create", .subject = "aether.vm.*.create", .metadata = {{"format", "CreateVm"}}},
      [](const CreateVm& req, const RequestContext&) -> Result<VmOpReply> {
        if (req.vm_id() == "bad") return service_error(409, "vm bad already exists");
        VmOpReply r;
        r.set_vm_id(req.vm_id());
        return r;
      }));
  REQUIRE(svc.add_endpoint_raw(
      {.name = "status", .subject = "aether.worker.w1.status"},
      [](std::string_view, const RequestContext&) -> Result<std::string> { return ""; }));

  CreateVm ok;
  ok.set_vm_id("v1");
  CreateVm bad;
  bad.set_vm_id("bad");
  REQUIRE(stack.bus->request<VmOpReply>("aether.vm.v1.create", ok));
  REQUIRE(stack.bus->request<VmOpReply>("aether.vm.v2.create", ok));
  REQUIRE_FALSE(stack.bus->request<VmOpReply>("aether.vm.bad.create", bad));

  for (const std::string& subject : std::vector<std::string>{"$SRV.PING", "$SRV.PING.vm-worker",
                                                             "$SRV.PING.vm-worker." + svc.id()}) {
    auto ping = ask(*stack.bus, subject);
    CHECK(ping["type"] == "io.nats.micro.v1.ping_response");
    CHECK(ping["name"] == "vm-worker");
    CHECK(ping["id"] == svc.id());
    CHECK(ping["version"] == "0.1.0");
    CHECK(ping["metadata"]["node"] == "n1");
  }

  auto info = ask(*stack.bus, "$SRV.INFO.vm-worker." + svc.id());
  CHECK(info["type"] == "io.nats.micro.v1.info_response");
  CHECK(info["description"] == "boots microVMs");
  REQUIRE(info["endpoints"].size() == 2);
  CHECK(info["endpoints"][0]["name"] == "create");
  CHECK(info["endpoints"][0]["subject"] == "aether.vm.*.create");
  CHECK(info["endpoints"][0]["queue_group"] == "q");
  CHECK(info["endpoints"][0]["metadata"]["format"] == "CreateVm");

  auto stats = ask(*stack.bus, "$SRV.STATS.vm-worker");
  CHECK(stats["type"] == "io.nats.micro.v1.stats_response");
  CHECK(stats["id"] == svc.id());
  CHECK(stats["started"].get<std::string>().size() >= 20);
  auto create = stats["endpoints"][0];
  CHECK(create["name"] == "create");
  CHECK(create["num_requests"] == 3);
  CHECK(create["num_errors"] == 1);
  CHECK(create["last_error"].get<std::string>().find("vm bad already exists") != std::string::npos);
  CHECK(create["processing_time"].get<std::int64_t>() > 0);
  CHECK(create["average_processing_time"].get<std::int64_t>() ==
        create["processing_time"].get<std::int64_t>() / 3);
  CHECK(stats["endpoints"][1]["num_requests"] == 0);

  // Other services' names do not answer for this one.
  auto other = stack.bus->request_raw("$SRV.PING.api", "", {}, 1s);
  REQUIRE_FALSE(other);
  CHECK(other.error().code == Errc::kNoResponders);
}

TEST_CASE("two instances of a service both answer a PING and with distinct ids") {
  auto stack = bus_test::start_stack();
  auto a = Service::start(*stack.bus, {.name = "api", .version = "1.0.0"});
  auto b = Service::start(*stack.bus, {.name = "api", .version = "1.0.0"});
  REQUIRE(a);
  REQUIRE(b);
  CHECK((*a)->id() != (*b)->id());
  auto inbox = stack.bus->request_raw("$SRV.PING.api." + (*b)->id(), "", {}, 5s);
  REQUIRE(inbox);
  CHECK(nlohmann::json::parse(inbox->data)["id"] == (*b)->id());
  auto bad = Service::start(*stack.bus, {.name = "api", .version = "v1"});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::kInvalidArgument);
}
