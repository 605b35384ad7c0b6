// The connection survives a server restart.
#include <atomic>
#include <thread>

#include "aether/v1/vm.pb.h"
#include "fixture.hpp"

using namespace aether::bus;
using namespace std::chrono_literals;

TEST_CASE("after the server restarts the connection comes back and requests work again") {
  auto stack = bus_test::start_stack();
  auto sub = serve<aether::v1::VmStatusRequest, aether::v1::VmStatusReply>(
      *stack.bus, "aether.vm.v1.status", {.queue_group = "q"},
      [](const aether::v1::VmStatusRequest&,
         const RequestContext&) -> Result<aether::v1::VmStatusReply> {
        aether::v1::VmStatusReply r;
        r.set_vm_id("v1");
        return r;
      });
  REQUIRE(sub);
  REQUIRE(stack.bus->request<aether::v1::VmStatusReply>("aether.vm.v1.status",
                                                        aether::v1::VmStatusRequest{}));
  REQUIRE(provision(*stack.bus));

  auto restarted = stack.server->restart();
  INFO((restarted ? "restarted" : restarted.error().message));
  REQUIRE(restarted);

  Result<aether::v1::VmStatusReply> reply = fail(Errc::kNotConnected, "not tried");
  CHECK(bus_test::eventually(
      [&] {
        reply = stack.bus->request<aether::v1::VmStatusReply>(
            "aether.vm.v1.status", aether::v1::VmStatusRequest{}, {.timeout = 500ms});
        return reply.has_value();
      },
      20s));
  INFO(bus_test::describe(reply));
  REQUIRE(reply);
  CHECK(reply->vm_id() == "v1");
  CHECK(stack.bus->connected());
  // JetStream state survived too: provisioning finds everything in place.
  auto again = provision(*stack.bus);
  REQUIRE(again);
  CHECK_FALSE(again->changed());
}

TEST_CASE("a pull-consumer loop keeps going across a server restart") {
  auto stack = bus_test::start_stack();
  REQUIRE(provision(*stack.bus));
  auto consumer = PullConsumer::bind(*stack.bus, "AETHER_CMDS", "vm-create");
  REQUIRE(consumer);
  std::atomic<int> handled{0};
  std::stop_source stop;
  Result<void> outcome;
  std::thread loop([&] {
    outcome = consumer->run(
        stop.get_token(), [] { return 4; },
        [&](JsMessage& m) {
          ++handled;
          (void)m.ack();
        },
        200ms);
  });
  aether::v1::CreateVm cmd;
  cmd.set_vm_id("before");
  REQUIRE(stack.bus->js_publish("aether.cmd.vm.create", cmd, {.msg_id = "before"}));
  CHECK(bus_test::eventually([&] { return handled.load() == 1; }));

  REQUIRE(stack.server->restart());
  cmd.set_vm_id("after");
  Result<PubAck> ack = fail(Errc::kNotConnected, "not tried");
  CHECK(bus_test::eventually(
      [&] {
        ack = stack.bus->js_publish("aether.cmd.vm.create", cmd,
                                    {.msg_id = "after", .timeout = 500ms});
        return ack.has_value();
      },
      20s));
  INFO(bus_test::describe(ack));
  CHECK(bus_test::eventually([&] { return handled.load() == 2; }, 20s));
  stop.request_stop();
  loop.join();
  INFO(bus_test::describe(outcome));
  CHECK(outcome);
}
