#include "guest_span.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

namespace aether::worker {
namespace {

template <std::size_t N>
bool parse_hex(std::string_view hex, std::array<std::uint8_t, N>& out) {
  if (hex.size() != 2 * N) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  bool nonzero = false;
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    nonzero = nonzero || out[i] != 0;
  }
  return nonzero;
}

std::chrono::system_clock::time_point to_time(const google::protobuf::Timestamp& t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

}  // namespace

std::optional<trace::RecordedSpan> to_recorded_span(const v1::RemoteSpan& span) {
  trace::RecordedSpan out;
  if (!parse_hex(span.trace_id(), out.context.trace_id)) return std::nullopt;
  if (!parse_hex(span.span_id(), out.context.span_id)) return std::nullopt;
  out.context.flags = 0x01;
  if (!span.parent_span_id().empty()) {
    trace::SpanId parent{};
    if (!parse_hex(span.parent_span_id(), parent)) return std::nullopt;
    out.parent_span_id = parent;
  }
  out.name = span.name();
  out.start = to_time(span.start());
  out.end = to_time(span.end());
  for (const auto& [k, v] : span.attributes()) out.attributes.emplace_back(k, v);
  if (span.error()) {
    out.status = trace::StatusCode::kError;
    out.status_message = span.status_message();
  }
  return out;
}

void export_guest_span(const v1::RemoteSpan& span) {
  auto recorded = to_recorded_span(span);
  if (!recorded) {
    spdlog::warn("vm-worker: dropped a malformed guest span '{}' (trace {}, span {})", span.name(),
                 span.trace_id(), span.span_id());
    return;
  }
  trace::export_recorded(std::move(*recorded));
}

}  // namespace aether::worker
