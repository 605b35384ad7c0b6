// Traces read back through Jaeger's query API (the subset the suite uses,
// which the local OTLP sink also answers): GET /api/traces/{id} and
// GET /api/traces?service=..&limit=.. in Jaeger's JSON shape.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rest.hpp"

namespace aether::e2e {

struct SpanView {
  std::string trace_id;
  std::string span_id;
  std::string parent_id;  // the CHILD_OF reference ("" for a root)
  std::string operation;  // operationName
  std::string service;    // the span's process serviceName
};

class Jaeger {
 public:
  explicit Jaeger(std::string base_url);
  // False (with the reason) when the query API does not answer here.
  [[nodiscard]] bool available(std::string& why);
  // The spans of one trace (empty while Jaeger has not seen it).
  [[nodiscard]] std::vector<SpanView> trace(const std::string& trace_id);

 private:
  Rest http_;
};

// Parses a Jaeger /api/traces answer ({"data":[{traceID, spans, processes}]}).
[[nodiscard]] std::vector<SpanView> parse_jaeger_traces(const Json& answer);

}  // namespace aether::e2e
