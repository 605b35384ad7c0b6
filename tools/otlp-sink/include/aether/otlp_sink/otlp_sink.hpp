// A small OTLP/HTTP trace receiver for tests and `make run`.
//
// OtlpSink listens on a loopback port, accepts POST /v1/traces
// (application/x-protobuf or application/json), decodes every span and keeps
// it in a bounded SpanStore (and hands it to on_span, e.g. to write JSON
// lines). On the same port it answers Jaeger's query API (jaeger_api.hpp) from
// that store. It can refuse the first N requests with a chosen status to
// exercise exporters' retries.
//
// Lifecycle: construct, start() (binds and starts the server thread), stop()
// or destruction (joins it). Accessors are thread-safe; on_span runs on the
// server's worker threads, serialised by the sink.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "aether/otlp_sink/received_span.hpp"
#include "aether/otlp_sink/span_store.hpp"

namespace aether::otlp_sink {

// Decoders for an ExportTraceServiceRequest body.
[[nodiscard]] Result<std::vector<ReceivedSpan>> decode_protobuf(std::string_view body);
// OTLP/JSON: hex ids, camelCase or snake_case field names.
[[nodiscard]] Result<std::vector<ReceivedSpan>> decode_json(std::string_view body);

struct SinkOptions {
  std::string host = "127.0.0.1";
  int port = 0;                            // 0: pick a free port
  int fail_first = 0;                      // refuse this many requests first...
  int fail_status = 503;                   // ...with this status
  std::optional<int> retry_after_seconds;  // sent with refused requests
  std::function<void(const ReceivedSpan&)> on_span;
  std::size_t max_spans = SpanStore::kDefaultMaxSpans;  // oldest dropped beyond this
};

class OtlpSink {
 public:
  explicit OtlpSink(SinkOptions options = {});
  ~OtlpSink();
  OtlpSink(const OtlpSink&) = delete;
  OtlpSink& operator=(const OtlpSink&) = delete;

  // Binds and serves on a background thread; returns the bound port.
  [[nodiscard]] Result<int> start();
  void stop();  // idempotent

  [[nodiscard]] int port() const { return port_; }
  // Base URL for OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://127.0.0.1:4318.
  [[nodiscard]] std::string endpoint() const;

  [[nodiscard]] std::vector<ReceivedSpan> spans() const;
  [[nodiscard]] const SpanStore& store() const { return store_; }
  // Waits (bounded) until at least n spans were received; false on timeout.
  bool wait_for_spans(std::size_t n, std::chrono::milliseconds timeout) const;
  [[nodiscard]] std::uint64_t requests() const;          // every POST /v1/traces
  [[nodiscard]] std::uint64_t refused_requests() const;  // answered with fail_status

 private:
  struct Server;
  std::string handle(std::string_view content_type, std::string_view body, int& status,
                     bool& refused);

  SinkOptions options_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;

  SpanStore store_;  // thread-safe itself
  mutable std::mutex mutex_;
  std::uint64_t requests_ = 0;  // guarded by mutex_
  std::uint64_t refused_ = 0;   // guarded by mutex_
};

}  // namespace aether::otlp_sink
