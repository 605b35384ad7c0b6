// Request-reply and serving against a real nats-server.
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "aether/v1/vm.pb.h"
#include "fixture.hpp"

using namespace aether::bus;
using namespace std::chrono_literals;
using aether::v1::CreateVm;
using aether::v1::VmOpReply;

namespace {

CreateVm sample_create() {
  CreateVm m;
  m.set_vm_id("vm-1");
  m.set_tenant("acme");
  m.mutable_spec()->set_vcpus(2);
  m.mutable_spec()->set_memory_mib(256);
  return m;
}

// Replies with the vm id it was asked about; remembers what it saw.
struct Recorder {
  std::mutex mutex;
  std::vector<CreateVm> seen;        // guarded by mutex
  std::vector<RequestContext> ctxs;  // guarded by mutex
  Handler<CreateVm, VmOpReply> handler() {
    return [this](const CreateVm& req, const RequestContext& ctx) -> Result<VmOpReply> {
      std::lock_guard lock(mutex);
      seen.push_back(req);
      ctxs.push_back(ctx);
      VmOpReply reply;
      reply.set_vm_id(req.vm_id());
      reply.set_state(aether::v1::VM_STATE_PENDING);
      return reply;
    };
  }
};

}  // namespace

TEST_CASE("request gets a typed reply from a served handler") {
  auto stack = bus_test::start_stack();
  Recorder rec;
  auto sub = serve<CreateVm, VmOpReply>(*stack.bus, "aether.vm.vm-1.create", {.queue_group = "q"},
                                        rec.handler());
  REQUIRE(sub);
  auto reply = stack.bus->request<VmOpReply>("aether.vm.vm-1.create", sample_create(),
                                             {.timeout = 5s, .tenant = "acme"});
  INFO(bus_test::describe(reply));
  REQUIRE(reply);
  CHECK(reply->vm_id() == "vm-1");
  std::lock_guard lock(rec.mutex);
  REQUIRE(rec.ctxs.size() == 1);
  CHECK(rec.ctxs[0].tenant == "acme");
}

TEST_CASE("no responders is distinct from a timeout") {
  auto stack = bus_test::start_stack();
  auto none =
      stack.bus->request<VmOpReply>("aether.vm.nobody.status", sample_create(), {.timeout = 5s});
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::kNoResponders);

  // A subscriber that answers only after the deadline: the request times out.
  auto silent = serve_raw(*stack.bus, "aether.vm.silent.status", {},
                          [](std::string_view, const RequestContext&) -> Result<std::string> {
                            std::this_thread::sleep_for(1000ms);
                            return std::string();
                          });
  REQUIRE(silent);
  auto late =
      stack.bus->request<VmOpReply>("aether.vm.silent.status", sample_create(), {.timeout = 300ms});
  REQUIRE_FALSE(late);
  CHECK(late.error().code == Errc::kTimeout);
}

TEST_CASE(
    "JSON and protobuf requests decode to the same message and replies use the request's type") {
  auto stack = bus_test::start_stack();
  Recorder rec;
  auto sub = serve<CreateVm, VmOpReply>(*stack.bus, "aether.vm.vm-1.create", {}, rec.handler());
  REQUIRE(sub);
  const auto expected = sample_create();

  auto pb = encode(expected, ContentType::kProtobuf);
  REQUIRE(pb);
  auto pb_reply = stack.bus->request_raw("aether.vm.vm-1.create", *pb,
                                         Headers{{"Content-Type", "application/protobuf"}}, 5s);
  INFO(bus_test::describe(pb_reply));
  REQUIRE(pb_reply);
  CHECK(pb_reply->headers.get("Content-Type") == "application/protobuf");
  auto pb_decoded = decode_as<VmOpReply>(pb_reply->data, ContentType::kProtobuf);
  REQUIRE(pb_decoded);
  CHECK(pb_decoded->vm_id() == "vm-1");

  const std::string json = R"({"vmId":"vm-1","tenant":"acme","spec":{"vcpus":2,"memoryMib":256}})";
  auto json_reply = stack.bus->request_raw("aether.vm.vm-1.create", json,
                                           Headers{{"Content-Type", "application/json"}}, 5s);
  INFO(bus_test::describe(json_reply));
  REQUIRE(json_reply);
  CHECK(json_reply->headers.get("Content-Type") == "application/json");
  auto parsed = nlohmann::json::parse(json_reply->data);
  CHECK(parsed["vmId"] == "vm-1");
  CHECK(parsed["state"] == "VM_STATE_PENDING");

  std::lock_guard lock(rec.mutex);
  REQUIRE(rec.seen.size() == 2);
  CHECK(rec.seen[0].SerializeAsString() == expected.SerializeAsString());
  CHECK(rec.seen[1].SerializeAsString() == expected.SerializeAsString());
}

TEST_CASE("a malformed payload gets a 400 error reply naming the type") {
  auto stack = bus_test::start_stack();
  Recorder rec;
  auto sub = serve<CreateVm, VmOpReply>(*stack.bus, "aether.vm.vm-1.create", {}, rec.handler());
  REQUIRE(sub);
  auto reply = stack.bus->request_raw("aether.vm.vm-1.create", "{not json",
                                      Headers{{"Content-Type", "application/json"}}, 5s);
  REQUIRE_FALSE(reply);
  CHECK(reply.error().code == Errc::kServiceError);
  CHECK(reply.error().service_code == 400);
  CHECK(reply.error().message.find("aether.v1.CreateVm") != std::string::npos);
}

TEST_CASE("an error reply surfaces its code and message") {
  auto stack = bus_test::start_stack();
  auto sub = serve<CreateVm, VmOpReply>(
      *stack.bus, "aether.vm.gone.status", {},
      [](const CreateVm& req, const RequestContext&) -> Result<VmOpReply> {
        return service_error(404, "vm " + req.vm_id() + " not found");
      });
  REQUIRE(sub);
  auto reply = stack.bus->request<VmOpReply>("aether.vm.gone.status", sample_create(), {});
  REQUIRE_FALSE(reply);
  CHECK(reply.error().code == Errc::kServiceError);
  CHECK(reply.error().service_code == 404);
  CHECK(reply.error().message.find("vm vm-1 not found") != std::string::npos);
}

TEST_CASE("a trace crosses a request-reply hop: the server span's parent is the client span") {
  auto stack = bus_test::start_stack();
  std::mutex mutex;
  std::optional<RequestContext> seen;                    // guarded by mutex
  std::optional<aether::trace::SpanContext> current_in;  // guarded by mutex
  auto sub = serve<CreateVm, VmOpReply>(
      *stack.bus, "aether.vm.vm-1.exec", {.service = "vm-worker", .operation = "exec"},
      [&](const CreateVm& req, const RequestContext& ctx) -> Result<VmOpReply> {
        std::lock_guard lock(mutex);
        seen = ctx;
        current_in = aether::trace::current_context();
        VmOpReply reply;
        reply.set_vm_id(req.vm_id());
        return reply;
      });
  REQUIRE(sub);

  aether::trace::Span root("api POST /v1/vms", aether::trace::SpanKind::kServer, std::nullopt);
  auto scope = root.activate();
  auto reply = stack.bus->request<VmOpReply>("aether.vm.vm-1.exec", sample_create(), {});
  REQUIRE(reply);

  std::lock_guard lock(mutex);
  REQUIRE(seen);
  REQUIRE(seen->caller);
  // Same trace, and the caller's span is the client span (a child of root),
  // not root itself.
  CHECK(seen->caller->trace_id == root.context().trace_id);
  CHECK(seen->caller->span_id != root.context().span_id);
  // The handler runs inside the server span: a new span in the same trace.
  CHECK(seen->span.trace_id == root.context().trace_id);
  CHECK(seen->span.span_id != seen->caller->span_id);
  REQUIRE(current_in);
  CHECK(current_in->span_id == seen->span.span_id);
}

TEST_CASE("a queue group spreads requests and publish reaches a plain subscriber") {
  auto stack = bus_test::start_stack();
  std::atomic<int> a{0}, b{0};
  auto counter = [](std::atomic<int>& n) {
    return [&n](std::string_view, const RequestContext&) -> Result<std::string> {
      ++n;
      return std::string();
    };
  };
  auto sa = serve_raw(*stack.bus, "aether.worker.w.status", {.queue_group = "q"}, counter(a));
  auto sb = serve_raw(*stack.bus, "aether.worker.w.status", {.queue_group = "q"}, counter(b));
  REQUIRE(sa);
  REQUIRE(sb);
  for (int i = 0; i < 20; ++i) {
    REQUIRE(stack.bus->request_raw("aether.worker.w.status", "", {}, 5s));
  }
  CHECK(a + b == 20);  // each request answered exactly once

  std::atomic<int> got{0};
  auto plain = serve_raw(*stack.bus, "aether.evt.test", {},
                         [&](std::string_view, const RequestContext& ctx) -> Result<std::string> {
                           if (ctx.content_type == ContentType::kJson) ++got;
                           return std::string();
                         });
  REQUIRE(plain);
  REQUIRE(
      stack.bus->publish("aether.evt.test", sample_create(), {.content_type = ContentType::kJson}));
  CHECK(bus_test::eventually([&] { return got == 1; }));
}
