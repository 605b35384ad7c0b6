// Records the agent's own span for one operation and hands it back as a
// RemoteSpan: the guest cannot export, so the host does.
//
// Hand-written (a W3C traceparent parser and random ids) rather than using
// aether::trace, because the agent is a static binary with no exporter and no
// dependencies beyond libc, protobuf and libcrypto.
#pragma once

#include <chrono>
#include <string>

#include "aether/v1/common.pb.h"

namespace aether::vm_agent {

struct ParsedTraceparent {
  std::string trace_id;  // 32 lowercase hex
  std::string span_id;   // 16 lowercase hex
};

// nullopt-like: empty trace_id when value is not a valid version-00 traceparent.
[[nodiscard]] ParsedTraceparent parse_traceparent(const std::string& value);
[[nodiscard]] std::string random_hex(std::size_t bytes);

class SpanRecorder {
 public:
  SpanRecorder() = default;
  // Starts a span named name, child of the context's span (or a new trace).
  void start(std::string name, const v1::TraceContext& parent);
  void set_attribute(const std::string& key, const std::string& value);
  void set_error(std::string message);
  [[nodiscard]] v1::RemoteSpan finish();

 private:
  v1::RemoteSpan span_;
  std::chrono::system_clock::time_point start_;
};

}  // namespace aether::vm_agent
