// Spans exported through aether::trace into an in-process OTLP sink: the
// parent links across the bus are the ones a trace viewer would draw.
#include <aether/otlp_sink/otlp_sink.hpp>
#include <aether/trace/exporter.hpp>

#include "aether/v1/vm.pb.h"
#include "fixture.hpp"

using namespace aether::bus;
using namespace std::chrono_literals;
using aether::otlp_sink::ReceivedSpan;

namespace {

const ReceivedSpan* find(const std::vector<ReceivedSpan>& spans, const std::string& name) {
  for (const auto& s : spans) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

struct Exporting {
  aether::otlp_sink::OtlpSink sink;
  Exporting() {
    auto port = sink.start();
    REQUIRE(port);
    aether::trace::ExporterConfig config;
    config.service_name = "bus-itest";
    config.endpoint = sink.endpoint() + "/v1/traces";
    config.schedule_delay = 100ms;
    auto r = aether::trace::init(config);
    INFO((r ? "" : r.error().message));
    REQUIRE(r);
  }
  ~Exporting() { aether::trace::shutdown(2s); }
  std::vector<ReceivedSpan> spans(std::size_t n) {
    aether::trace::force_flush(5s);
    CHECK(sink.wait_for_spans(n, 10s));
    return sink.spans();
  }
};

}  // namespace

TEST_CASE("exported spans: caller -> client span -> server span across a request-reply hop") {
  Exporting exporting;
  auto stack = bus_test::start_stack("api");
  auto sub = serve<aether::v1::CreateVm, aether::v1::VmOpReply>(
      *stack.bus, "aether.vm.vm-1.exec", {.service = "vm-worker", .operation = "exec"},
      [](const aether::v1::CreateVm&, const RequestContext&) -> Result<aether::v1::VmOpReply> {
        return aether::v1::VmOpReply{};
      });
  REQUIRE(sub);
  {
    aether::trace::Span root("api POST /v1/vms/exec", aether::trace::SpanKind::kServer,
                             std::nullopt);
    auto scope = root.activate();
    REQUIRE(
        stack.bus->request<aether::v1::VmOpReply>("aether.vm.vm-1.exec", aether::v1::CreateVm{}));
  }
  auto spans = exporting.spans(3);
  const auto* root = find(spans, "api POST /v1/vms/exec");
  const auto* client = find(spans, "api request aether.vm.vm-1.exec");
  const auto* server = find(spans, "vm-worker exec");
  REQUIRE(root);
  REQUIRE(client);
  REQUIRE(server);
  CHECK(client->kind == "client");
  CHECK(server->kind == "server");
  CHECK(client->parent_span_id == root->span_id);
  CHECK(server->parent_span_id == client->span_id);
  CHECK(server->trace_id == root->trace_id);
  CHECK(client->trace_id == root->trace_id);
}

TEST_CASE("exported spans: the consumer span's parent is the producer span of the publish") {
  Exporting exporting;
  auto stack = bus_test::start_stack("api");
  REQUIRE(provision(*stack.bus));
  {
    aether::trace::Span root("api POST /v1/vms", aether::trace::SpanKind::kServer, std::nullopt);
    auto scope = root.activate();
    REQUIRE(stack.bus->js_publish("aether.cmd.vm.create", aether::v1::CreateVm{},
                                  {.msg_id = "req-trace"}));
  }
  auto consumer = PullConsumer::bind(*stack.bus, "AETHER_CMDS", "vm-create",
                                     {.service = "vm-worker", .operation = "create"});
  REQUIRE(consumer);
  auto batch = consumer->fetch(1, 2s);
  REQUIRE(batch);
  REQUIRE(batch->size() == 1);
  {
    auto span = consumer->start_span((*batch)[0]);
    REQUIRE((*batch)[0].ack());
  }
  auto spans = exporting.spans(3);
  const auto* root = find(spans, "api POST /v1/vms");
  const auto* producer = find(spans, "api publish aether.cmd.vm.create");
  const auto* consumed = find(spans, "vm-worker create");
  REQUIRE(root);
  REQUIRE(producer);
  REQUIRE(consumed);
  CHECK(producer->kind == "producer");
  CHECK(consumed->kind == "consumer");
  CHECK(producer->parent_span_id == root->span_id);
  CHECK(consumed->parent_span_id == producer->span_id);
  CHECK(consumed->trace_id == root->trace_id);
}
