// The sink's memory: every received span, bounded, and the queries Jaeger's
// API needs (one trace by id, traces by service and time, service names).
//
// Thread-safe: add() runs on the HTTP workers, the queries on the query
// handlers and tests; everything is guarded by mutex_. When more than
// max_spans are held, the oldest spans are dropped (and counted), so a
// long `make run` keeps a bounded footprint.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aether/otlp_sink/received_span.hpp"

namespace aether::otlp_sink {

// What GET /api/traces filters on. Times are unix microseconds (Jaeger's
// unit) and apply to the start of the spans of `service`.
struct TraceQuery {
  std::string service;                      // a span of the trace must be of this service
  std::string operation;                    // ...with this name, if set
  std::map<std::string, std::string> tags;  // ...having these attributes (compared as text)
  std::optional<std::uint64_t> start_us;    // ...starting at or after this
  std::optional<std::uint64_t> end_us;      // ...and at or before this
  std::size_t limit = 100;                  // newest first; 0 = no limit
};

class SpanStore {
 public:
  static constexpr std::size_t kDefaultMaxSpans = 200'000;
  explicit SpanStore(std::size_t max_spans = kDefaultMaxSpans);

  // Keeps the spans; on_span (if set) sees each one under the store's lock,
  // so a line writer never interleaves.
  void add(std::vector<ReceivedSpan> spans,
           const std::function<void(const ReceivedSpan&)>& on_span = {});

  [[nodiscard]] std::vector<ReceivedSpan> spans() const;  // in arrival order
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::uint64_t evicted() const;  // dropped to stay under max_spans
  // Waits (bounded) until at least n spans were received; false on timeout.
  bool wait_for_spans(std::size_t n, std::chrono::milliseconds timeout) const;

  // The spans of one trace (lowercase 32-hex id), by start time; empty if unknown.
  [[nodiscard]] std::vector<ReceivedSpan> trace(const std::string& trace_id) const;
  // Whole traces matching the query, newest first (by their newest matching span).
  [[nodiscard]] std::vector<std::vector<ReceivedSpan>> find_traces(const TraceQuery& query) const;
  // Distinct service names, sorted.
  [[nodiscard]] std::vector<std::string> services() const;
  // Distinct span names of one service, sorted.
  [[nodiscard]] std::vector<std::string> operations(const std::string& service) const;

 private:
  const std::size_t max_spans_;
  mutable std::mutex mutex_;
  mutable std::condition_variable received_;
  std::deque<ReceivedSpan> spans_;    // guarded by mutex_
  std::uint64_t received_count_ = 0;  // guarded by mutex_ (ever added, for wait_for_spans)
  std::uint64_t evicted_ = 0;         // guarded by mutex_
};

}  // namespace aether::otlp_sink
