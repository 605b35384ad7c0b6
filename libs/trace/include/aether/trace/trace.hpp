// Public tracing API (contract shared by every library and service).
//
// A Span records one operation. It does not become the thread's current span
// until activate() is called; the returned Scope restores the previous current
// span when it goes out of scope. Spans end on destruction (or end()), and
// sampled spans are handed to the exporter installed by init()/init_from_env().
// Without init(), spans are still created and propagated, but not exported.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace aether::trace {

using TraceId = std::array<std::uint8_t, 16>;
using SpanId = std::array<std::uint8_t, 8>;

struct SpanContext {
  TraceId trace_id{};
  SpanId span_id{};
  std::uint8_t flags = 0;  // bit 0: sampled
  std::string tracestate;

  [[nodiscard]] bool valid() const;  // neither id all-zero
  [[nodiscard]] bool sampled() const { return (flags & 0x01) != 0; }
  [[nodiscard]] std::string trace_id_hex() const;
  [[nodiscard]] std::string span_id_hex() const;
};

// W3C traceparent "00-<32 hex>-<16 hex>-<2 hex>". Returns nullopt for any
// malformed value (wrong length, upper-case hex, all-zero ids, version ff, ...):
// callers then start a new trace.
[[nodiscard]] std::optional<SpanContext> parse_traceparent(std::string_view value);
[[nodiscard]] std::string format_traceparent(const SpanContext& ctx);

// Lowercase hex of a span id (e.g. a RecordedSpan's parent_span_id).
[[nodiscard]] std::string to_hex(const SpanId& id);

// tracestate is passed through opaquely, but bounded: printable ASCII only
// (otherwise dropped), at most 32 list members and 512 characters (members
// beyond are dropped from the right). Used by inject() and extract().
[[nodiscard]] std::string bound_tracestate(std::string_view value);

// Propagation through any header carrier (NATS headers, HTTP headers).
using HeaderGetter = std::function<std::optional<std::string>(std::string_view name)>;
using HeaderSetter = std::function<void(std::string_view name, std::string_view value)>;
void inject(const SpanContext& ctx, const HeaderSetter& set);  // traceparent + tracestate
[[nodiscard]] std::optional<SpanContext> extract(const HeaderGetter& get);

// The innermost activated span's context on this thread, if any.
[[nodiscard]] std::optional<SpanContext> current_context();

enum class SpanKind { kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };
enum class StatusCode { kUnset = 0, kOk = 1, kError = 2 };
using AttributeValue = std::variant<std::string, std::int64_t, double, bool>;

class Span {
 public:
  // parent: the caller's context; nullopt starts a new trace. The default is
  // the thread's current span.
  explicit Span(std::string name, SpanKind kind = SpanKind::kInternal,
                std::optional<SpanContext> parent = current_context());
  ~Span();
  Span(Span&&) noexcept;
  Span& operator=(Span&&) = delete;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

  void set_attribute(std::string key, AttributeValue value);
  void set_status(StatusCode code, std::string message = {});
  void set_error(std::string message) { set_status(StatusCode::kError, std::move(message)); }
  void end();  // idempotent

  [[nodiscard]] const SpanContext& context() const;

  // Makes this span the thread's current span until the Scope is destroyed.
  class [[nodiscard]] Scope {
   public:
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    friend class Span;
    explicit Scope(const SpanContext* previous);
    const SpanContext* previous_;
  };
  [[nodiscard]] Scope activate();

 private:
  struct Data;
  Data* data_;  // owned; null after move
};

// A span recorded elsewhere (e.g. inside a guest) and handed to the host for
// export, exactly as recorded. service_name, when set, gives it a resource of
// its own (service.name = it) instead of the exporting process's, so the
// guest's `vm-agent exec` shows under `vm-agent` although vm-worker ships it.
struct RecordedSpan {
  SpanContext context;
  std::optional<SpanId> parent_span_id;
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
  std::vector<std::pair<std::string, AttributeValue>> attributes;
  StatusCode status = StatusCode::kUnset;
  std::string status_message;
  std::uint32_t dropped_attributes = 0;  // beyond Span's attribute limit
  std::string service_name;              // empty: the exporter's service (see above)
};

// Span keeps at most this many attributes (the OpenTelemetry default); more
// are counted in dropped_attributes and exported as dropped_attributes_count.
inline constexpr std::size_t kMaxSpanAttributes = 128;
void export_recorded(RecordedSpan span);

}  // namespace aether::trace
