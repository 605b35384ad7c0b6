// SpanStore queries and their Jaeger JSON, without a server.
#include <catch2/catch.hpp>

#include "aether/otlp_sink/jaeger_api.hpp"

using namespace aether::otlp_sink;
using nlohmann::json;

namespace {

ReceivedSpan make_span(std::string trace, std::string id, std::string parent, std::string name,
                       std::string service, std::uint64_t start_us) {
  ReceivedSpan s;
  s.trace_id = std::move(trace);
  s.span_id = std::move(id);
  s.parent_span_id = std::move(parent);
  s.name = std::move(name);
  s.service = std::move(service);
  s.kind = "server";
  s.start_unix_nano = start_us * 1000;
  s.end_unix_nano = start_us * 1000 + 2'500'000;  // 2500 us
  s.status_code = "unset";
  return s;
}

const std::string kT1 = "0000000000000000000000000000000a";
const std::string kT2 = "1111111111111111111111111111111b";

void add_two_traces(SpanStore& store) {
  auto child = make_span(kT1, "00000000000000c1", "00000000000000a1", "vm-agent exec", "vm-agent",
                         1'000'100);
  child.attributes = {{"exit_code", 0}, {"argv0", "/bin/echo"}, {"ok", true}, {"ratio", 0.5}};
  child.status_code = "error";
  child.status_message = "exit 1";
  child.resource = {{"host.name", "node-1"}};
  store.add({make_span(kT1, "00000000000000a1", "", "vm-worker exec", "vm-worker", 1'000'000),
             child,
             make_span(kT2, "00000000000000b1", "", "vm-worker boot", "vm-worker", 2'000'000)});
}

json find(const SpanStore& store, QueryParams params, int expect_status = 200) {
  auto reply = JaegerApi(store).find_traces(params);
  CHECK(reply.status == expect_status);
  return reply.body;
}

}  // namespace

TEST_CASE("a trace comes back in Jaeger's shape with references, processes and typed tags") {
  SpanStore store;
  add_two_traces(store);
  auto reply = JaegerApi(store).get_trace(kT1);
  REQUIRE(reply.status == 200);
  const json& body = reply.body;
  CHECK(body["errors"].is_null());
  REQUIRE(body["data"].size() == 1);
  const json& trace = body["data"][0];
  CHECK(trace["traceID"] == kT1);
  REQUIRE(trace["spans"].size() == 2);
  const json& root = trace["spans"][0];  // by start time
  const json& child = trace["spans"][1];
  CHECK(root["operationName"] == "vm-worker exec");
  CHECK(root["references"].empty());
  CHECK(root["startTime"] == 1'000'000);
  CHECK(root["duration"] == 2500);
  CHECK(child["operationName"] == "vm-agent exec");
  REQUIRE(child["references"].size() == 1);
  CHECK(child["references"][0] ==
        json({{"refType", "CHILD_OF"}, {"traceID", kT1}, {"spanID", "00000000000000a1"}}));
  CHECK(trace["processes"][root["processID"].get<std::string>()]["serviceName"] == "vm-worker");
  const json& agent = trace["processes"][child["processID"].get<std::string>()];
  CHECK(agent["serviceName"] == "vm-agent");
  CHECK(agent["tags"] ==
        json::array({{{"key", "host.name"}, {"type", "string"}, {"value", "node-1"}}}));
  CHECK(root["processID"] != child["processID"]);

  auto tag = [&](const std::string& key) {
    for (const auto& t : child["tags"]) {
      if (t["key"] == key) return t;
    }
    return json();
  };
  CHECK(tag("exit_code") == json({{"key", "exit_code"}, {"type", "int64"}, {"value", 0}}));
  CHECK(tag("argv0")["type"] == "string");
  CHECK(tag("ok")["type"] == "bool");
  CHECK(tag("ratio")["type"] == "float64");
  CHECK(tag("span.kind")["value"] == "server");
  CHECK(tag("otel.status_code")["value"] == "ERROR");
  CHECK(tag("error")["value"] == true);
  CHECK(tag("otel.status_description")["value"] == "exit 1");
}

TEST_CASE("an unknown trace is Jaeger's 404 and a malformed id a 400") {
  SpanStore store;
  add_two_traces(store);
  JaegerApi api(store);
  auto missing = api.get_trace("ffffffffffffffffffffffffffffffff");
  CHECK(missing.status == 404);
  CHECK(missing.body["data"].is_null());
  CHECK(missing.body["errors"] == json::array({{{"code", 404}, {"msg", "trace not found"}}}));
  auto bad = api.get_trace("not-hex");
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body["errors"][0]["msg"].get<std::string>(), Catch::Contains("not-hex"));
  CHECK(api.get_trace(std::string(33, 'a')).status == 400);
  // Jaeger's short form (leading zeros dropped) and upper case find the same trace.
  CHECK(api.get_trace("A").status == 200);
}

TEST_CASE("search by service returns whole traces, newest first, limited") {
  SpanStore store;
  add_two_traces(store);
  auto body = find(store, {{"service", "vm-worker"}});
  REQUIRE(body["data"].size() == 2);
  CHECK(body["data"][0]["traceID"] == kT2);  // started later
  CHECK(body["data"][1]["traceID"] == kT1);
  CHECK(body["data"][1]["spans"].size() == 2);  // the vm-agent span too
  CHECK(body["total"] == 2);

  CHECK(find(store, {{"service", "vm-worker"}, {"limit", "1"}})["data"][0]["traceID"] == kT2);
  CHECK(find(store, {{"service", "vm-agent"}})["data"].size() == 1);
  CHECK(find(store, {{"service", "nobody"}})["data"].empty());
  CHECK(find(store, {{"service", "vm-worker"}, {"operation", "vm-worker boot"}})["data"].size() ==
        1);
  CHECK(find(store, {{"service", "vm-agent"}, {"tags", R"({"exit_code":"0"})"}})["data"].size() ==
        1);
  CHECK(find(store, {{"service", "vm-agent"}, {"tags", R"({"exit_code":"1"})"}})["data"].empty());
  // start/end in microseconds bound the service's span starts.
  CHECK(find(store, {{"service", "vm-worker"}, {"start", "1500000"}})["data"].size() == 1);
  CHECK(find(store, {{"service", "vm-worker"}, {"end", "1500000"}})["data"][0]["traceID"] == kT1);
  // By ids, as Jaeger's UI compares traces.
  auto by_id = find(store, {{"traceID", kT1}, {"traceID", kT2}, {"traceID", "abc"}});
  CHECK(by_id["data"].size() == 2);
}

TEST_CASE("lookback resolves against now; bad parameters are 400s naming them") {
  SpanStore store;  // spans from 1970: outside any lookback
  add_two_traces(store);
  CHECK(find(store, {{"service", "vm-worker"}, {"lookback", "1h"}})["data"].empty());
  CHECK(find(store, {{"service", "vm-worker"}, {"lookback", "custom"}})["data"].size() == 2);
  auto q = parse_trace_query({{"service", "s"}, {"lookback", "2d"}}, 10'000'000'000'000ULL);
  REQUIRE(q);
  CHECK(*q->start_us == 10'000'000'000'000ULL - 2ULL * 86400 * 1'000'000);

  auto message = [&](QueryParams params) {
    auto body = find(store, std::move(params), 400);
    return body["errors"][0]["msg"].get<std::string>();
  };
  CHECK(message({}) == "parameter 'service' is required");
  CHECK_THAT(message({{"service", "s"}, {"limit", "ten"}}), Catch::Contains("'limit'"));
  CHECK_THAT(message({{"service", "s"}, {"limit", "-1"}}), Catch::Contains("'limit'"));
  CHECK_THAT(message({{"service", "s"}, {"start", "1x"}}), Catch::Contains("'start'"));
  CHECK_THAT(message({{"service", "s"}, {"lookback", "1y"}}), Catch::Contains("'lookback'"));
  CHECK_THAT(message({{"service", "s"}, {"tags", "[1]"}}), Catch::Contains("'tags'"));
  CHECK_THAT(message({{"service", "s"}, {"start", "5"}, {"end", "4"}}),
             Catch::Contains("after 'end'"));
  CHECK_THAT(message({{"service", "s"}, {"minDuration", "1ms"}}), Catch::Contains("not supported"));
}

TEST_CASE("services and operations are listed; the store stays under its bound") {
  SpanStore store;
  add_two_traces(store);
  JaegerApi api(store);
  CHECK(api.services().body["data"] == json::array({"vm-agent", "vm-worker"}));
  CHECK(api.operations("vm-worker").body["data"] ==
        json::array({"vm-worker boot", "vm-worker exec"}));

  SpanStore small(2);
  std::size_t seen = 0;
  small.add({make_span(kT1, "01", "", "a", "s", 1), make_span(kT1, "02", "", "b", "s", 2),
             make_span(kT2, "03", "", "c", "s", 3)},
            [&](const ReceivedSpan&) { ++seen; });
  CHECK(seen == 3);  // the line writer sees every span
  CHECK(small.size() == 2);
  CHECK(small.evicted() == 1);
  CHECK(small.trace(kT1).size() == 1);  // the oldest went
  CHECK(small.wait_for_spans(3, std::chrono::milliseconds(0)));
}
