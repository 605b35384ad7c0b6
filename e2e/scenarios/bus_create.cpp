// Scenario 2: creates published straight onto the bus, as JSON (what a
// person with `nats pub` sends) and as protobuf (what a service sends), then
// seen through REST: GET by id reaches READY, the events list it.
#include <catch2/catch.hpp>

#include <string>

#include "aether/bus/bus.hpp"
#include "aether/v1/vm.pb.h"
#include "e2e_env.hpp"
#include "rest.hpp"
#include "suite.hpp"

using namespace aether;
using namespace aether::e2e;
using namespace std::chrono_literals;

namespace {

void check_seen_through_rest(Rest& rest, const std::string& id, const std::string& tenant) {
  auto vm = rest.wait_state(id, {"READY", "FAILED"}, 180s);
  INFO("vm " << id << ": " << vm.dump() << " last " << rest.last().describe());
  REQUIRE(vm.value("state", "") == "READY");
  CHECK(vm.value("tenant", "") == tenant);
  auto events = vm_events(rest, id);
  INFO("events: " << events.dump());
  CHECK(count_state(events, "READY") == 1);
  CHECK(workers_reporting(events, "READY").size() == 1);
  // Listed with the tenant's other VMs too.
  auto list = rest.get("/v1/vms?label=e2e=bus&limit=50");
  CHECK(list.body.find(id) != std::string::npos);
}

}  // namespace

TEST_CASE("creates published on the bus are seen through REST", "[bus]") {
  std::string why;
  const auto tenant = make_tenant("e2e-bus", Json::object(), why);
  INFO(why);
  REQUIRE(!tenant.id.empty());
  Rest rest(env().api_url, tenant.key);

  auto bus = bus::Connection::connect({.url = env().nats_url, .name = "e2e"});
  INFO("nats: " << (bus ? std::string() : bus.error().message));
  REQUIRE(bus);

  SECTION("JSON on the plain subject, as `nats pub` would") {
    const auto id = new_uuid_v7();
    const auto request = "e2e-json-" + id;
    const Json create = {{"vmId", id},
                         {"tenant", tenant.id},
                         {"requestId", request},
                         {"spec",
                          {{"template", "default"},
                           {"vcpus", 1},
                           {"memoryMib", 256},
                           {"ttlSeconds", 900},
                           {"labels", {{"e2e", "bus"}}}}}};
    bus::Headers h;
    h.set(bus::kContentTypeHeader, bus::kJsonMime);
    h.set(bus::kTenantHeader, tenant.id);
    h.set(bus::kMsgIdHeader, request);
    REQUIRE(bus->publish_raw(bus::kVmCreateSubject, create.dump(), h));
    REQUIRE(bus->flush(5s));
    check_seen_through_rest(rest, id, tenant.id);
    dispose(rest, {id});
  }

  SECTION("protobuf on its size class's subject, with JetStream's dedup") {
    v1::CreateVm create;
    create.set_vm_id(new_uuid_v7());
    create.set_tenant(tenant.id);
    create.set_request_id("e2e-proto-" + create.vm_id());
    // A protobuf publisher fills the spec itself (proto3 has no defaults to
    // apply): the worker refuses an empty template.
    create.mutable_spec()->set_template_("default");
    create.mutable_spec()->set_vcpus(1);
    create.mutable_spec()->set_memory_mib(256);
    create.mutable_spec()->set_ttl_seconds(900);
    (*create.mutable_spec()->mutable_labels())["e2e"] = "bus";
    const auto subject = bus::vm_create_subject(1, 256);
    auto ack =
        bus->js_publish(subject, create, {.tenant = tenant.id, .msg_id = create.request_id()});
    INFO("publish: " << (ack ? std::string() : ack.error().message));
    REQUIRE(ack);
    CHECK(ack->stream == "AETHER_CMDS");
    CHECK_FALSE(ack->duplicate);
    // The same command again is a duplicate, not a second VM.
    auto again =
        bus->js_publish(subject, create, {.tenant = tenant.id, .msg_id = create.request_id()});
    REQUIRE(again);
    CHECK(again->duplicate);
    check_seen_through_rest(rest, create.vm_id(), tenant.id);
    dispose(rest, {create.vm_id()});
  }
}
