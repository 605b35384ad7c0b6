#include "span_recorder.hpp"

#include <sys/random.h>

#include <atomic>
#include <cstdint>

namespace aether::vm_agent {
namespace {

bool is_lower_hex(const std::string& s, std::size_t from, std::size_t count) {
  for (std::size_t i = from; i < from + count; ++i) {
    const char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool all_zero(const std::string& s) { return s.find_first_not_of('0') == std::string::npos; }

void set_time(google::protobuf::Timestamp* out, std::chrono::system_clock::time_point t) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  out->set_seconds(ns / 1'000'000'000);
  out->set_nanos(static_cast<int>(ns % 1'000'000'000));
}

}  // namespace

ParsedTraceparent parse_traceparent(const std::string& value) {
  // "00-<32 hex>-<16 hex>-<2 hex>"
  if (value.size() != 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') return {};
  if (value.compare(0, 2, "00") != 0) return {};
  if (!is_lower_hex(value, 3, 32) || !is_lower_hex(value, 36, 16) || !is_lower_hex(value, 53, 2)) {
    return {};
  }
  ParsedTraceparent out{value.substr(3, 32), value.substr(36, 16)};
  if (all_zero(out.trace_id) || all_zero(out.span_id)) return {};
  return out;
}

std::string random_hex(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string raw(bytes, '\0');
  // GRND_NONBLOCK: early in boot the pool may not be ready, and a span id
  // need not be cryptographic; fall back to a time-seeded counter.
  if (::getrandom(raw.data(), bytes, GRND_NONBLOCK) != static_cast<ssize_t>(bytes)) {
    static std::atomic<std::uint64_t> counter{0};
    std::uint64_t x =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        (++counter * 0x9e3779b97f4a7c15ull);
    for (auto& c : raw) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x & 0xff);
    }
  }
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  if (all_zero(out)) out.back() = '1';
  return out;
}

void SpanRecorder::start(std::string name, const v1::TraceContext& parent) {
  span_.Clear();
  start_ = std::chrono::system_clock::now();
  const auto parsed = parse_traceparent(parent.traceparent());
  if (parsed.trace_id.empty()) {
    span_.set_trace_id(random_hex(16));
  } else {
    span_.set_trace_id(parsed.trace_id);
    span_.set_parent_span_id(parsed.span_id);
  }
  span_.set_span_id(random_hex(8));
  span_.set_name(std::move(name));
}

void SpanRecorder::set_attribute(const std::string& key, const std::string& value) {
  (*span_.mutable_attributes())[key] = value;
}

void SpanRecorder::set_error(std::string message) {
  span_.set_error(true);
  span_.set_status_message(std::move(message));
}

v1::RemoteSpan SpanRecorder::finish() {
  set_time(span_.mutable_start(), start_);
  set_time(span_.mutable_end(), std::chrono::system_clock::now());
  return span_;
}

}  // namespace aether::vm_agent
