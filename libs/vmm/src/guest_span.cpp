#include "guest_span.hpp"

#include <algorithm>

namespace aether::vmm {
namespace {

constexpr std::size_t kMaxName = 128;
constexpr std::size_t kMaxAttributes = 32;
constexpr std::size_t kMaxValue = 1024;

std::chrono::system_clock::time_point from_proto(const google::protobuf::Timestamp& t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

}  // namespace

std::optional<trace::RecordedSpan> guest_span_for_export(
    const v1::RemoteSpan& span, const v1::TraceContext& request_trace,
    std::chrono::system_clock::time_point sent, std::chrono::system_clock::time_point received) {
  const auto parent = trace::parse_traceparent(request_trace.traceparent());
  if (!parent || !parent->sampled()) return std::nullopt;  // untraced requests export nothing
  if (span.trace_id() != parent->trace_id_hex() || span.parent_span_id() != parent->span_id_hex()) {
    return std::nullopt;
  }
  const auto own = trace::parse_traceparent("00-" + span.trace_id() + "-" + span.span_id() + "-01");
  if (!own) return std::nullopt;

  trace::RecordedSpan out;
  out.context = *own;
  out.context.flags = parent->flags;
  out.parent_span_id = parent->span_id;
  out.name = span.name().substr(0, kMaxName);
  out.kind = trace::SpanKind::kServer;
  out.service_name = std::string(kGuestServiceName);  // its own resource, not the worker's
  out.start = std::clamp(from_proto(span.start()), sent, received);
  out.end = std::clamp(from_proto(span.end()), out.start, received);
  for (const auto& [key, value] : span.attributes()) {
    if (out.attributes.size() == kMaxAttributes) break;
    out.attributes.emplace_back(key.substr(0, kMaxName), value.substr(0, kMaxValue));
  }
  if (span.error()) {
    out.status = trace::StatusCode::kError;
    out.status_message = span.status_message().substr(0, kMaxValue);
  }
  return out;
}

}  // namespace aether::vmm
