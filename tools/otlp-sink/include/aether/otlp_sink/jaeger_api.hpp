// The subset of Jaeger's HTTP query API (the one its UI and most test suites
// use) answered from a SpanStore, so a check written against a real Jaeger
// runs unchanged against the sink:
//   GET /api/traces/{traceId}
//   GET /api/traces?service=S[&operation=O][&tags={"k":"v"}][&start=us][&end=us]
//                  [&lookback=1h][&limit=N]     or  ?traceID=a&traceID=b
//   GET /api/services
//   GET /api/services/{service}/operations
// Bodies are Jaeger's envelope {"data","total","limit","offset","errors"};
// an unknown trace is a 404 with errors [{"code":404,"msg":"trace not found"}],
// a bad parameter a 400 naming it.
//
// Stateless apart from the store it reads; thread-safe like the store.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "aether/otlp_sink/span_store.hpp"

namespace aether::otlp_sink {

// A GET's query parameters (repeatable, as cpp-httplib gives them).
using QueryParams = std::multimap<std::string, std::string>;

struct JaegerReply {
  int status = 200;
  nlohmann::json body;
};

// One trace in Jaeger's JSON model: {"traceID","spans":[...],"processes":{...},"warnings"}.
// Times in microseconds; each distinct (service, resource) is one process p1, p2, ...
[[nodiscard]] nlohmann::json jaeger_trace(const std::vector<ReceivedSpan>& spans);

// A trace id as Jaeger accepts it (1..32 hex digits, any case) → our
// 32-digit lowercase form; kBadRequest otherwise.
[[nodiscard]] Result<std::string> normalize_trace_id(std::string_view id);

// GET /api/traces parameters → a TraceQuery. now_us resolves lookback.
[[nodiscard]] Result<TraceQuery> parse_trace_query(const QueryParams& params, std::uint64_t now_us);

class JaegerApi {
 public:
  explicit JaegerApi(const SpanStore& store) : store_(store) {}

  [[nodiscard]] JaegerReply get_trace(std::string_view trace_id) const;
  [[nodiscard]] JaegerReply find_traces(const QueryParams& params) const;
  [[nodiscard]] JaegerReply services() const;
  [[nodiscard]] JaegerReply operations(const std::string& service) const;

 private:
  const SpanStore& store_;
};

}  // namespace aether::otlp_sink
