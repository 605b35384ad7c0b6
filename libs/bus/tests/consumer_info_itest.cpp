// consumer_backlog(): pending and ack-pending of a durable pull consumer, as
// messages are published, fetched, acked and nak'ed.
#include "aether/bus/consumer_info.hpp"

#include "aether/v1/vm.pb.h"
#include "fixture.hpp"

using namespace aether::bus;
using namespace std::chrono_literals;

TEST_CASE("consumer backlog counts pending and ack-pending messages") {
  auto stack = bus_test::start_stack();
  Connection& bus = *stack.bus;
  REQUIRE(ensure_stream(bus, {.name = "Q", .subjects = {"q.work"},
                              .retention = Retention::kWorkQueue, .file_storage = false}));
  REQUIRE(ensure_consumer(bus, {.stream = "Q", .durable = "w", .filter_subject = "q.work",
                                .ack_wait = 30s}));

  auto empty = consumer_backlog(bus, "Q", "w");
  INFO(bus_test::describe(empty));
  REQUIRE(empty);
  CHECK(empty->pending == 0);
  CHECK(empty->ack_pending == 0);
  CHECK(empty->stream == "Q");
  CHECK(empty->consumer == "w");

  aether::v1::CreateVm m;
  for (int i = 0; i < 5; ++i) {
    m.set_vm_id("vm-" + std::to_string(i));
    REQUIRE(bus.js_publish("q.work", m));
  }
  auto five = consumer_backlog(bus, "Q", "w");
  REQUIRE(five);
  CHECK(five->pending == 5);
  CHECK(five->ack_pending == 0);
  CHECK(five->total() == 5);

  auto consumer = PullConsumer::bind(bus, "Q", "w", {.service = "t", .operation = "work"});
  REQUIRE(consumer);
  auto batch = consumer->fetch(2, 2s);
  REQUIRE(batch);
  REQUIRE(batch->size() == 2);
  auto fetched = consumer_backlog(bus, "Q", "w");
  REQUIRE(fetched);
  CHECK(fetched->pending == 3);
  CHECK(fetched->ack_pending == 2);
  CHECK(fetched->total() == 5);

  REQUIRE((*batch)[0].ack());
  REQUIRE((*batch)[1].ack());
  REQUIRE(bus.flush(2s));
  auto acked = consumer_backlog(bus, "Q", "w");
  REQUIRE(acked);
  CHECK(acked->pending == 3);
  CHECK(acked->ack_pending == 0);
}

TEST_CASE("consumer backlog of a missing consumer is kNotFound naming it") {
  auto stack = bus_test::start_stack();
  auto r = consumer_backlog(*stack.bus, "NOPE", "none");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kNotFound);
  CHECK(r.error().message.find("NOPE/none") != std::string::npos);
  auto bad = consumer_backlog(*stack.bus, "", "none");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::kInvalidArgument);
}
