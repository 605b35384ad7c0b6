// The sink binary (started by libs/devstack, as `make run` does) receiving
// real spans from libs/trace's exporter and answering Jaeger's query API.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "aether/devstack/otlp_sink.hpp"
#include "aether/trace/exporter.hpp"
#include "aether/trace/trace.hpp"

using nlohmann::json;
using namespace std::chrono_literals;
namespace trace = aether::trace;

namespace {

struct ExporterGuard {
  ~ExporterGuard() { trace::shutdown(5s); }
};

json get(httplib::Client& client, const std::string& path, int expect_status = 200) {
  auto res = client.Get(path);
  REQUIRE(res);
  INFO(path << " -> " << res->status << " " << res->body);
  CHECK(res->status == expect_status);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  auto body = json::parse(res->body, nullptr, false);
  REQUIRE_FALSE(body.is_discarded());
  return body;
}

const json* span_named(const json& trace, const std::string& name) {
  for (const auto& span : trace["spans"]) {
    if (span["operationName"] == name) return &span;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("exported spans are read back through Jaeger's API, each under its own service") {
  auto sink = aether::devstack::OtlpSink::start();
  INFO((sink ? std::string() : sink.error().message));
  REQUIRE(sink.has_value());
  trace::ExporterConfig config;
  config.service_name = "sink-itest";
  config.endpoint = sink->endpoint() + "/v1/traces";
  config.schedule_delay = 20ms;
  REQUIRE(trace::init(config));
  ExporterGuard guard;

  std::string trace_id;
  std::string root_id;
  std::string relayed_id;
  {
    trace::Span root("sink-itest request", trace::SpanKind::kServer, std::nullopt);
    trace_id = root.context().trace_id_hex();
    root_id = root.context().span_id_hex();
    auto scope = root.activate();
    trace::Span child("sink-itest step");
    child.set_attribute("step", std::int64_t{1});
    // A span recorded elsewhere and relayed, under its own service.
    trace::RecordedSpan relayed;
    relayed.context = child.context();
    relayed.context.span_id = trace::SpanId{1, 2, 3, 4, 5, 6, 7, 8};
    relayed.parent_span_id = child.context().span_id;
    relayed.name = "guest work";
    relayed.start = std::chrono::system_clock::now();
    relayed.end = relayed.start + 1ms;
    relayed.service_name = "sink-itest-guest";
    relayed_id = trace::to_hex(relayed.context.span_id);
    trace::export_recorded(relayed);
  }
  { trace::Span other("sink-itest other", trace::SpanKind::kServer, std::nullopt); }
  REQUIRE(trace::force_flush(10s));

  httplib::Client client("127.0.0.1", sink->port());
  client.set_connection_timeout(5s);
  client.set_read_timeout(5s);

  json body = get(client, "/api/traces/" + trace_id);
  REQUIRE(body["data"].size() == 1);
  const json& t = body["data"][0];
  CHECK(t["traceID"] == trace_id);
  REQUIRE(t["spans"].size() == 3);
  const json* root = span_named(t, "sink-itest request");
  const json* step = span_named(t, "sink-itest step");
  const json* guest = span_named(t, "guest work");
  REQUIRE((root && step && guest));
  CHECK((*root)["references"].empty());
  CHECK((*step)["references"][0]["spanID"] == root_id);
  CHECK((*step)["references"][0]["refType"] == "CHILD_OF");
  CHECK((*guest)["spanID"] == relayed_id);
  CHECK((*guest)["references"][0]["spanID"] == (*step)["spanID"]);
  CHECK((*guest)["references"][0]["traceID"] == trace_id);
  const json& processes = t["processes"];
  CHECK(processes[(*root)["processID"].get<std::string>()]["serviceName"] == "sink-itest");
  CHECK(processes[(*guest)["processID"].get<std::string>()]["serviceName"] == "sink-itest-guest");

  // Search by service: the relayed service finds the whole trace.
  body = get(client, "/api/traces?service=sink-itest-guest&limit=5&lookback=1h");
  REQUIRE(body["data"].size() == 1);
  CHECK(body["data"][0]["traceID"] == trace_id);
  CHECK(body["data"][0]["spans"].size() == 3);
  body = get(client, "/api/traces?service=sink-itest&limit=10");
  CHECK(body["data"].size() == 2);
  body = get(client, "/api/traces?service=sink-itest&limit=1");
  REQUIRE(body["data"].size() == 1);
  CHECK(span_named(body["data"][0], "sink-itest other"));  // the newest trace

  body = get(client, "/api/services");
  CHECK(body["data"] == json::array({"sink-itest", "sink-itest-guest"}));
  body = get(client, "/api/services/sink-itest/operations");
  CHECK(body["data"] == json::array({"sink-itest other", "sink-itest request", "sink-itest step"}));

  // Jaeger's errors: unknown trace 404, missing service 400.
  body = get(client, "/api/traces/0123456789abcdef0123456789abcdef", 404);
  CHECK(body["errors"][0]["msg"] == "trace not found");
  body = get(client, "/api/traces?limit=3", 400);
  CHECK(body["errors"][0]["msg"] == "parameter 'service' is required");

  // The JSON-lines file is still written, one line per span.
  std::ifstream in(sink->spans_file());
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  CHECK(lines == 4);
}
