// Provisioning, JetStream publish (dedup) and pull consumption.
#include "aether/v1/vm.pb.h"
#include "fixture.hpp"

using namespace aether::bus;
using namespace std::chrono_literals;
using aether::v1::CreateVm;

namespace {

CreateVm command(const std::string& id) {
  CreateVm m;
  m.set_vm_id(id);
  m.set_request_id("req-" + id);
  m.set_tenant("acme");
  return m;
}

// A work-queue stream and a durable consumer with a short ack wait.
void make_test_queue(Connection& bus, const std::string& stream, const std::string& subject,
                     std::chrono::nanoseconds ack_wait) {
  auto s = ensure_stream(bus, {.name = stream,
                               .subjects = {subject},
                               .retention = Retention::kWorkQueue,
                               .file_storage = false});
  INFO(bus_test::describe(s));
  REQUIRE(s);
  auto c = ensure_consumer(bus, {.stream = stream,
                                 .durable = "work",
                                 .filter_subject = subject,
                                 .ack_wait = ack_wait,
                                 .max_deliver = 5});
  INFO(bus_test::describe(c));
  REQUIRE(c);
}

}  // namespace

TEST_CASE("provisioning twice is idempotent and a changed setting is updated") {
  auto stack = bus_test::start_stack();
  auto first = provision(*stack.bus);
  INFO(bus_test::describe(first));
  REQUIRE(first);
  // 2 streams, vm-create and one consumer per default size class, 2 buckets.
  REQUIRE(first->items.size() == 4 + 1 + default_vm_classes().size());
  for (const auto& [what, result] : first->items) {
    INFO(what);
    CHECK(result == Provisioned::kCreated);
  }
  auto second = provision(*stack.bus);
  INFO(bus_test::describe(second));
  REQUIRE(second);
  CHECK_FALSE(second->changed());

  ProvisionConfig changed;
  changed.workers_ttl = 20s;
  auto third = provision(*stack.bus, changed);
  REQUIRE(third);
  for (const auto& [what, result] : third->items) {
    INFO(what);
    CHECK(result ==
          (what == "kv aether_workers" ? Provisioned::kUpdated : Provisioned::kUnchanged));
  }
  auto fourth = provision(*stack.bus, changed);
  REQUIRE(fourth);
  CHECK_FALSE(fourth->changed());

  // The contract's shape, read back from the server.
  jsStreamInfo* raw = nullptr;
  REQUIRE(js_GetStreamInfo(&raw, stack.bus->jetstream(), "AETHER_CMDS", nullptr, nullptr) ==
          NATS_OK);
  StreamInfoPtr info(raw);
  CHECK(info->Config->Retention == js_WorkQueuePolicy);
  CHECK(info->Config->Storage == js_FileStorage);
  CHECK(info->Config->Duplicates == std::chrono::nanoseconds(2min).count());
}

TEST_CASE("ensure_stream with IfExists::kLeave creates a missing stream but never changes one") {
  auto stack = bus_test::start_stack();
  auto events = events_stream_config();
  auto created = ensure_stream(*stack.bus, events, IfExists::kLeave);
  INFO(bus_test::describe(created));
  REQUIRE(created);
  CHECK(*created == Provisioned::kCreated);

  // An operator's different setting survives a create-only caller...
  auto operators = events;
  operators.max_age = 48h;
  auto updated = ensure_stream(*stack.bus, operators);
  REQUIRE(updated);
  CHECK(*updated == Provisioned::kUpdated);
  auto left = ensure_stream(*stack.bus, events, IfExists::kLeave);
  REQUIRE(left);
  CHECK(*left == Provisioned::kUnchanged);
  jsStreamInfo* raw = nullptr;
  REQUIRE(js_GetStreamInfo(&raw, stack.bus->jetstream(), "AETHER_EVENTS", nullptr, nullptr) ==
          NATS_OK);
  StreamInfoPtr info(raw);
  CHECK(info->Config->MaxAge == std::chrono::nanoseconds(48h).count());
}

TEST_CASE("a republished command with the same Nats-Msg-Id is dropped") {
  auto stack = bus_test::start_stack();
  REQUIRE(provision(*stack.bus));
  auto first = stack.bus->js_publish("aether.cmd.vm.create", command("vm-1"),
                                     {.tenant = "acme", .msg_id = "req-1"});
  INFO(bus_test::describe(first));
  REQUIRE(first);
  CHECK_FALSE(first->duplicate);
  CHECK(first->stream == "AETHER_CMDS");
  auto again = stack.bus->js_publish("aether.cmd.vm.create", command("vm-1"),
                                     {.tenant = "acme", .msg_id = "req-1"});
  REQUIRE(again);
  CHECK(again->duplicate);
  CHECK(again->sequence == first->sequence);

  auto consumer = PullConsumer::bind(*stack.bus, "AETHER_CMDS", "vm-create");
  INFO(bus_test::describe(consumer));
  REQUIRE(consumer);
  auto batch = consumer->fetch(10, 1s);
  REQUIRE(batch);
  REQUIRE(batch->size() == 1);
  auto decoded = (*batch)[0].decode_as<CreateVm>();
  REQUIRE(decoded);
  CHECK(decoded->vm_id() == "vm-1");
  CHECK((*batch)[0].tenant() == "acme");
  REQUIRE((*batch)[0].ack());
  auto rest = consumer->fetch(10, 500ms);
  REQUIRE(rest);
  CHECK(rest->empty());
}

TEST_CASE("an unacked message is redelivered after the ack wait and continuing the trace") {
  auto stack = bus_test::start_stack();
  make_test_queue(*stack.bus, "TEST_REDELIVER", "test.redeliver", 1s);
  aether::trace::Span root("api POST /v1/vms", aether::trace::SpanKind::kServer, std::nullopt);
  {
    auto scope = root.activate();
    REQUIRE(stack.bus->js_publish("test.redeliver", command("vm-2")));
  }
  auto consumer = PullConsumer::bind(*stack.bus, "TEST_REDELIVER", "work");
  REQUIRE(consumer);
  auto first = consumer->fetch(1, 2s);
  REQUIRE(first);
  REQUIRE(first->size() == 1);
  CHECK((*first)[0].delivery_count() == 1);
  auto parent = (*first)[0].trace_parent();
  REQUIRE(parent);
  CHECK(parent->trace_id == root.context().trace_id);
  CHECK(parent->span_id != root.context().span_id);  // the producer span
  // No ack: after the 1 s ack wait the server hands it out again.
  std::optional<JsMessage> redelivered;
  REQUIRE(bus_test::eventually(
      [&] {
        auto again = consumer->fetch(1, 500ms);
        if (again && !again->empty()) redelivered.emplace(std::move((*again)[0]));
        return redelivered.has_value();
      },
      10s));
  CHECK(redelivered->delivery_count() == 2);
  CHECK(redelivered->stream_sequence() == (*first)[0].stream_sequence());
  auto span = consumer->start_span(*redelivered);
  CHECK(span.context().trace_id == root.context().trace_id);
  REQUIRE(redelivered->ack());
}

TEST_CASE("nak with delay redelivers and term does not") {
  auto stack = bus_test::start_stack();
  make_test_queue(*stack.bus, "TEST_NAK", "test.nak", 1s);
  REQUIRE(stack.bus->js_publish("test.nak", command("vm-3")));
  auto consumer = PullConsumer::bind(*stack.bus, "TEST_NAK", "work");
  REQUIRE(consumer);
  auto first = consumer->fetch(1, 2s);
  REQUIRE(first);
  REQUIRE(first->size() == 1);
  REQUIRE((*first)[0].in_progress());
  REQUIRE((*first)[0].nak(300ms));

  auto second = consumer->fetch(1, 5s);
  REQUIRE(second);
  REQUIRE(second->size() == 1);
  CHECK((*second)[0].delivery_count() == 2);
  REQUIRE((*second)[0].term());

  // Longer than the ack wait: a termed message never comes back.
  auto third = consumer->fetch(1, 2500ms);
  REQUIRE(third);
  CHECK(third->empty());
}

TEST_CASE("the last delivery the consumer allows is marked final, and nothing comes after it") {
  auto stack = bus_test::start_stack();
  make_test_queue(*stack.bus, "TEST_FINAL", "test.final", 1s);  // max_deliver 5
  REQUIRE(stack.bus->js_publish("test.final", command("vm-4")));
  auto consumer = PullConsumer::bind(*stack.bus, "TEST_FINAL", "work");
  REQUIRE(consumer);
  for (std::uint64_t n = 1; n <= 5; ++n) {
    auto got = consumer->fetch(1, 5s);
    REQUIRE(got);
    REQUIRE(got->size() == 1);
    auto& m = (*got)[0];
    CHECK(m.delivery_count() == n);
    CHECK(m.final_delivery() == (n == 5));
    REQUIRE(m.nak());
  }
  auto after = consumer->fetch(1, 2500ms);
  REQUIRE(after);
  CHECK(after->empty());
}

TEST_CASE("run() fetches only when there is room and stops on request") {
  auto stack = bus_test::start_stack();
  make_test_queue(*stack.bus, "TEST_RUN", "test.run", 30s);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(stack.bus->js_publish("test.run", command("vm-" + std::to_string(i))));
  }
  auto consumer = PullConsumer::bind(*stack.bus, "TEST_RUN", "work", {.service = "vm-worker"});
  REQUIRE(consumer);
  std::atomic<int> handled{0};
  std::atomic<int> room{2};
  std::stop_source stop;
  std::atomic<bool> spans_ok{true};
  Result<void> outcome;
  std::thread loop([&] {
    outcome = consumer->run(
        stop.get_token(), [&] { return room.load(); },
        [&](JsMessage& m) {
          if (!aether::trace::current_context()) spans_ok = false;
          if (++handled >= 3) room = 0;  // full: no more fetches
          (void)m.ack();
        },
        200ms);
  });
  CHECK(bus_test::eventually([&] { return handled.load() >= 3; }));
  std::this_thread::sleep_for(500ms);
  // The batch in flight when room dropped to 0 may have added one more.
  CHECK(handled.load() <= 4);
  room = 5;
  CHECK(bus_test::eventually([&] { return handled.load() == 5; }));
  stop.request_stop();
  loop.join();
  CHECK(outcome);
  CHECK(spans_ok);
}
