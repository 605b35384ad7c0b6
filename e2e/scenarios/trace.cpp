// Scenario 4: one trace from the REST call to the guest. The caller's
// traceparent on create and exec; then the spans of api, the bus hop,
// vm-worker and the guest's vm-agent share the trace id, each under its own
// service name, with parent links that stay inside the trace, read back
// through Jaeger's query API ($AETHER_JAEGER_URL).
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "e2e_env.hpp"
#include "jaeger.hpp"
#include "rest.hpp"
#include "suite.hpp"

using namespace aether::e2e;
using namespace std::chrono_literals;

TEST_CASE("one trace from REST to the guest", "[trace]") {
  Jaeger jaeger(env().jaeger_url);
  std::string why;
  if (!jaeger.available(why)) {
    WARN("SKIP: " << why);
    return;
  }
  Rest rest;
  const auto tp = new_traceparent();
  const HeaderList headers = {{"traceparent", tp.header}};
  const auto id = rest.create_vm(small_vm("trace"), headers);
  REQUIRE(!id.empty());
  // The api continues the caller's trace and says so.
  CHECK(rest.last().header("traceparent").find(tp.trace_id) != std::string::npos);
  REQUIRE(rest.wait_state(id, {"READY", "FAILED"}, 180s).value("state", "") == "READY");
  auto ex = rest.exec(id, {"echo", "traced"}, headers);
  REQUIRE(ex.status == 200);

  // Each service exports in its own batches: wait until the guest's exec
  // span is there and every parent link resolves (60 s, then what is there).
  std::vector<SpanView> spans;
  const bool complete = eventually(60s, [&] {
    spans = jaeger.trace(tp.trace_id);
    std::set<std::string> ids;
    bool agent = false;
    for (const auto& s : spans) {
      ids.insert(s.span_id);
      agent = agent || s.service == "vm-agent";
    }
    for (const auto& s : spans) {
      if (s.parent_id != tp.span_id && !ids.contains(s.parent_id)) return false;
    }
    return agent;
  });
  std::string listing;
  for (const auto& s : spans) {
    listing += s.service + " | " + s.operation + " | " + s.span_id + " <- " + s.parent_id + "\n";
  }
  INFO("trace " << tp.trace_id << ":\n" << listing);
  REQUIRE(complete);

  std::map<std::string, SpanView> by_id;
  std::set<std::string> services;
  for (const auto& s : spans) {
    CHECK(s.trace_id == tp.trace_id);
    by_id[s.span_id] = s;
    services.insert(s.service);
  }
  // Every parent is a span of the trace, or the caller's own span.
  for (const auto& s : spans) {
    INFO(s.service << " " << s.operation);
    CHECK((s.parent_id == tp.span_id || by_id.contains(s.parent_id)));
  }
  CHECK(services.contains("api"));
  CHECK(services.contains("vm-worker"));
  CHECK(services.contains("vm-agent"));
  auto descends_from = [&](const SpanView& s, const std::string& service) {
    std::string p = s.parent_id;
    for (int depth = 0; depth < 32 && by_id.contains(p); ++depth) {
      if (by_id[p].service == service) return true;
      p = by_id[p].parent_id;
    }
    return false;
  };
  bool api_roots = false, worker_under_api = false, agent_under_worker = false;
  for (const auto& s : spans) {
    if (s.service == "api" && s.parent_id == tp.span_id) api_roots = true;
    if (s.service == "vm-worker" && descends_from(s, "api")) worker_under_api = true;
    if (s.service == "vm-agent" && s.operation == "vm-agent exec" &&
        descends_from(s, "vm-worker")) {
      agent_under_worker = true;
    }
  }
  CHECK(api_roots);           // the REST call's span is the caller's child
  CHECK(worker_under_api);    // the bus hop: the worker continues the api's span
  CHECK(agent_under_worker);  // the guest's exec under the worker's
  dispose(rest, {id});
}
