// One trace from the create command to the command run inside the guest,
// read back through the OTLP sink's Jaeger API: the guest's `vm-agent exec`
// span is under service vm-agent, a child of the worker's `vm-worker exec`.
// One real QEMU (TCG) boot.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "aether/devstack/otlp_sink.hpp"
#include "aether/http/metrics.hpp"
#include "aether/trace/exporter.hpp"
#include "aether/v1/exec.pb.h"
#include "aether/vmm/runtime.hpp"
#include "itest_support.hpp"
#include "worker.hpp"

using namespace aether;
using namespace aether::worker;
using namespace aether::worker::testing;
using nlohmann::json;

namespace {

// The trace as Jaeger's API returns it, once it holds a span named `until`.
json jaeger_trace(int port, const std::string& trace_id, const std::string& until) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5s);
  client.set_read_timeout(5s);
  json found;
  const bool complete = wait_for(
      [&] {
        trace::force_flush(5s);
        auto res = client.Get("/api/traces/" + trace_id);
        if (!res || res->status != 200) return false;
        found = json::parse(res->body)["data"][0];
        for (const auto& span : found["spans"]) {
          if (span["operationName"] == until) return true;
        }
        return false;
      },
      30s);
  INFO(found.dump(2));
  REQUIRE(complete);
  return found;
}

}  // namespace

TEST_CASE("trace: create and exec share one trace, the guest span under service vm-agent") {
  auto sink = devstack::OtlpSink::start();
  INFO((sink ? std::string() : sink.error().message));
  REQUIRE(sink);
  ExportToSink exporter(*sink, "vm-worker");

  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  http::Registry registry;
  Worker w(worker_config("w-trace", bus.server.url(), state.path), bus.connection,
           vmm::make_qemu_runtime({}, /*use_kvm=*/false), registry);
  REQUIRE(w.start());

  trace::Span root("itest client", trace::SpanKind::kClient, std::nullopt);
  const auto trace_id = root.context().trace_id_hex();
  {
    auto scope = root.activate();
    publish_create(bus.connection, create_vm("vm-traced"));
    events.wait("vm-traced", v1::VM_STATE_READY, 240s);
    v1::ExecRequest exec;
    exec.add_argv("/bin/echo");
    exec.add_argv("traced");
    auto reply =
        bus.connection.request<v1::ExecReply>("aether.vm.vm-traced.exec", exec, {.timeout = 60s});
    REQUIRE(reply);
    CHECK(reply->stdout() == "traced\n");
  }
  root.end();

  const json t = jaeger_trace(sink->port(), trace_id, "vm-agent exec");
  std::map<std::string, json> by_id;  // spanID -> span
  const json* agent = nullptr;
  const json* worker_exec = nullptr;
  const json* boot = nullptr;
  for (const auto& span : t["spans"]) {
    by_id[span["spanID"].get<std::string>()] = span;
    CHECK(span["traceID"] == trace_id);
    if (span["operationName"] == "vm-agent exec") agent = &span;
    if (span["operationName"] == "vm-worker exec") worker_exec = &span;
    if (span["operationName"] == "vm-worker boot") boot = &span;
  }
  REQUIRE(agent);
  REQUIRE(worker_exec);
  REQUIRE(boot);
  auto service_of = [&](const json& span) {
    return t["processes"][span["processID"].get<std::string>()]["serviceName"];
  };
  CHECK(service_of(*agent) == "vm-agent");
  CHECK(service_of(*worker_exec) == "vm-worker");
  CHECK(service_of(*boot) == "vm-worker");
  REQUIRE((*agent)["references"].size() == 1);
  CHECK((*agent)["references"][0]["spanID"] == (*worker_exec)["spanID"]);
  CHECK((*agent)["references"][0]["refType"] == "CHILD_OF");
  // Every span but the client's root hangs off another span of this trace,
  // and both the boot and the exec lead back to the root.
  const std::string root_id = root.context().span_id_hex();
  auto leads_to_root = [&](json span) {
    for (int hops = 0; hops < 16; ++hops) {
      if (span["spanID"] == root_id) return true;
      if (span["references"].empty()) return false;
      auto parent = by_id.find(span["references"][0]["spanID"].get<std::string>());
      if (parent == by_id.end()) return false;
      span = parent->second;
    }
    return false;
  };
  CHECK(leads_to_root(*boot));
  CHECK(leads_to_root(*agent));
  for (const auto& [id, span] : by_id) {
    if (id == root_id) continue;
    INFO(span["operationName"]);
    REQUIRE(span["references"].size() == 1);
    CHECK(by_id.contains(span["references"][0]["spanID"].get<std::string>()));
  }
  w.shutdown();
}
