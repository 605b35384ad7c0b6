// W3C trace-context: traceparent parsing/formatting, tracestate bounding and
// header propagation.
#include <algorithm>

#include "aether/trace/trace.hpp"

namespace aether::trace {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::size_t kTraceparentLength = 55;  // version 00
// W3C: propagate at least 512 characters and at most 32 list members.
constexpr std::size_t kMaxTracestateLength = 512;
constexpr std::size_t kMaxTracestateMembers = 32;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case is malformed in traceparent
}

// Decodes exactly out.size()*2 lowercase hex chars; false on any other char.
template <std::size_t N>
bool decode_hex(std::string_view text, std::array<std::uint8_t, N>& out) {
  if (text.size() != N * 2) return false;
  for (std::size_t i = 0; i < N; ++i) {
    int hi = hex_value(text[2 * i]);
    int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

void append_hex(std::string& out, const std::uint8_t* data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kHexDigits[data[i] >> 4]);
    out.push_back(kHexDigits[data[i] & 0x0f]);
  }
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool SpanContext::valid() const { return !all_zero(trace_id) && !all_zero(span_id); }

std::string SpanContext::trace_id_hex() const {
  std::string out;
  out.reserve(32);
  append_hex(out, trace_id.data(), trace_id.size());
  return out;
}

std::string SpanContext::span_id_hex() const { return to_hex(span_id); }

std::string to_hex(const SpanId& id) {
  std::string out;
  out.reserve(16);
  append_hex(out, id.data(), id.size());
  return out;
}

std::optional<SpanContext> parse_traceparent(std::string_view value) {
  // Surrounding optional whitespace is allowed by HTTP header syntax.
  value = trim_ows(value);
  if (value.size() < kTraceparentLength) return std::nullopt;
  std::array<std::uint8_t, 1> version{};
  if (!decode_hex(value.substr(0, 2), version)) return std::nullopt;
  if (version[0] == 0xff) return std::nullopt;
  // Version 00 is exactly 55 chars. A later version may append fields, but
  // only after a '-' following the 00-compatible prefix.
  if (version[0] == 0x00 && value.size() != kTraceparentLength) return std::nullopt;
  if (value.size() > kTraceparentLength && value[kTraceparentLength] != '-') return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;

  SpanContext ctx;
  std::array<std::uint8_t, 1> flags{};
  if (!decode_hex(value.substr(3, 32), ctx.trace_id)) return std::nullopt;
  if (!decode_hex(value.substr(36, 16), ctx.span_id)) return std::nullopt;
  if (!decode_hex(value.substr(53, 2), flags)) return std::nullopt;
  if (!ctx.valid()) return std::nullopt;
  ctx.flags = flags[0];
  return ctx;
}

std::string format_traceparent(const SpanContext& ctx) {
  std::string out;
  out.reserve(kTraceparentLength);
  out += "00-";
  append_hex(out, ctx.trace_id.data(), ctx.trace_id.size());
  out += '-';
  append_hex(out, ctx.span_id.data(), ctx.span_id.size());
  out += '-';
  append_hex(out, &ctx.flags, 1);
  return out;
}

std::string bound_tracestate(std::string_view value) {
  value = trim_ows(value);
  // Printable ASCII only: anything else cannot be a valid list and must not
  // be forwarded into other systems' headers.
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return {};
  }
  // Keep whole list members from the left while within both bounds; members
  // further right are dropped, as W3C allows when truncating.
  std::string out;
  std::size_t members = 0;
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view member = trim_ows(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    if (member.empty()) continue;
    std::size_t added = member.size() + (out.empty() ? 0 : 1);
    if (members == kMaxTracestateMembers || out.size() + added > kMaxTracestateLength) break;
    if (!out.empty()) out += ',';
    out += member;
    ++members;
  }
  return out;
}

void inject(const SpanContext& ctx, const HeaderSetter& set) {
  if (!ctx.valid()) return;
  set("traceparent", format_traceparent(ctx));
  std::string state = bound_tracestate(ctx.tracestate);
  if (!state.empty()) set("tracestate", state);
}

std::optional<SpanContext> extract(const HeaderGetter& get) {
  std::optional<std::string> parent = get("traceparent");
  if (!parent) return std::nullopt;
  std::optional<SpanContext> ctx = parse_traceparent(*parent);
  if (!ctx) return std::nullopt;
  if (std::optional<std::string> state = get("tracestate")) {
    ctx->tracestate = bound_tracestate(*state);
  }
  return ctx;
}

}  // namespace aether::trace
