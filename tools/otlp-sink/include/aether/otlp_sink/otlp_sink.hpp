// A small OTLP/HTTP trace receiver for tests and `make run`.
//
// OtlpSink listens on a loopback port, accepts POST /v1/traces
// (application/x-protobuf or application/json), decodes every span and keeps
// it (and hands it to on_span, e.g. to write JSON lines). It can refuse the
// first N requests with a chosen status to exercise exporters' retries.
//
// Lifecycle: construct, start() (binds and starts the server thread), stop()
// or destruction (joins it). Accessors are thread-safe; on_span runs on the
// server's worker threads, serialised by the sink.
#pragma once

#include <chrono>
#include <condition_variable>
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

#include <nlohmann/json.hpp>

namespace aether::otlp_sink {

enum class Errc { kBadRequest = 1, kBindFailed };
struct Error {
  Errc code;
  std::string message;
};
template <class T>
using Result = std::expected<T, Error>;

// One decoded span; ids are lowercase hex, parent_span_id empty for a root.
struct ReceivedSpan {
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;
  std::string name;
  std::string kind;     // internal, server, client, producer, consumer, unspecified
  std::string service;  // the resource's service.name
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;
  nlohmann::json attributes = nlohmann::json::object();
  std::string status_code;  // unset, ok, error
  std::string status_message;

  // {"trace_id","span_id","parent_span_id","name","kind","service",
  //  "start_unix_nano","end_unix_nano","attributes":{...},"status":{"code","message"}}
  [[nodiscard]] nlohmann::json to_json() const;
};

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

  mutable std::mutex mutex_;
  mutable std::condition_variable received_;
  std::vector<ReceivedSpan> spans_;  // guarded by mutex_
  std::uint64_t requests_ = 0;       // guarded by mutex_
  std::uint64_t refused_ = 0;        // guarded by mutex_
};

}  // namespace aether::otlp_sink
