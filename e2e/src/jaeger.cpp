#include "jaeger.hpp"

namespace aether::e2e {

std::vector<SpanView> parse_jaeger_traces(const Json& answer) {
  std::vector<SpanView> out;
  if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_array()) return out;
  for (const auto& t : answer["data"]) {
    const Json processes = t.value("processes", Json::object());
    for (const auto& s : t.value("spans", Json::array())) {
      SpanView v;
      v.trace_id = s.value("traceID", "");
      v.span_id = s.value("spanID", "");
      v.operation = s.value("operationName", "");
      for (const auto& r : s.value("references", Json::array())) {
        if (r.value("refType", "") == "CHILD_OF") v.parent_id = r.value("spanID", "");
      }
      const auto pid = s.value("processID", "");
      if (processes.contains(pid)) v.service = processes[pid].value("serviceName", "");
      out.push_back(std::move(v));
    }
  }
  return out;
}

Jaeger::Jaeger(std::string base_url) : http_(std::move(base_url), "") {}

bool Jaeger::available(std::string& why) {
  if (http_.base_url().empty()) {
    why = "AETHER_JAEGER_URL is not set";
    return false;
  }
  auto a = http_.get("/api/traces?service=api&limit=1");
  if (a.status == 200 && a.json().is_object()) return true;
  why = "the Jaeger query API at " + http_.base_url() + " answers GET /api/traces with " +
        a.describe();
  return false;
}

std::vector<SpanView> Jaeger::trace(const std::string& trace_id) {
  auto a = http_.get("/api/traces/" + trace_id);
  if (a.status != 200) return {};
  return parse_jaeger_traces(a.json());
}

}  // namespace aether::e2e
