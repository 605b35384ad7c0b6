// Span lifecycle and the thread's current-span chain.
#include <utility>

#include "aether/trace/sampler.hpp"
#include "aether/trace/trace.hpp"
#include "export_hook.hpp"
#include "random_ids.hpp"

namespace aether::trace {
namespace {

// The innermost activated span on this thread. Each Scope remembers the
// previous value, so the chain of Scopes on the stack is the span stack.
thread_local const SpanContext* t_current = nullptr;

const SpanContext kEmptyContext{};

}  // namespace

struct Span::Data {
  RecordedSpan record;
  std::chrono::steady_clock::time_point start_steady;
  bool ended = false;
  // Set while activated, so a Span destroyed before its Scope (misuse) does
  // not leave the thread pointing at freed memory.
  bool active = false;
  const SpanContext* previous_current = nullptr;
};

std::optional<SpanContext> current_context() {
  if (t_current == nullptr) return std::nullopt;
  return *t_current;
}

Span::Span(std::string name, SpanKind kind, std::optional<SpanContext> parent) : data_(new Data) {
  RecordedSpan& rec = data_->record;
  rec.name = std::move(name);
  rec.kind = kind;
  const bool has_parent = parent && parent->valid();
  if (has_parent) {
    rec.context.trace_id = parent->trace_id;
    rec.context.flags = parent->flags;
    rec.context.tracestate = parent->tracestate;
    rec.parent_span_id = parent->span_id;
  } else {
    rec.context.trace_id = detail::random_trace_id();
  }
  rec.context.span_id = detail::random_span_id();
  if (should_sample(sampler(), has_parent ? parent : std::nullopt, rec.context.trace_id)) {
    rec.context.flags |= 0x01;
  } else {
    rec.context.flags &= static_cast<std::uint8_t>(~0x01);
  }
  rec.start = std::chrono::system_clock::now();
  data_->start_steady = std::chrono::steady_clock::now();
}

Span::~Span() {
  if (data_ == nullptr) return;
  end();
  if (data_->active && t_current == &data_->record.context) {
    t_current = data_->previous_current;
  }
  delete data_;
}

Span::Span(Span&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}

void Span::set_attribute(std::string key, AttributeValue value) {
  if (data_ == nullptr || data_->ended) return;
  if (!data_->record.context.sampled()) return;  // never exported: skip the work
  for (auto& [k, v] : data_->record.attributes) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  if (data_->record.attributes.size() >= kMaxSpanAttributes) {
    ++data_->record.dropped_attributes;
    return;
  }
  data_->record.attributes.emplace_back(std::move(key), std::move(value));
}

void Span::set_status(StatusCode code, std::string message) {
  if (data_ == nullptr || data_->ended) return;
  // OpenTelemetry: Unset never overrides, and Ok is final.
  if (code == StatusCode::kUnset || data_->record.status == StatusCode::kOk) return;
  data_->record.status = code;
  data_->record.status_message = code == StatusCode::kError ? std::move(message) : std::string{};
}

void Span::end() {
  if (data_ == nullptr || data_->ended) return;
  data_->ended = true;
  RecordedSpan& rec = data_->record;
  // Duration from the monotonic clock, so a wall-clock step cannot produce a
  // negative or huge span.
  rec.end = rec.start + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                            std::chrono::steady_clock::now() - data_->start_steady);
  if (!rec.context.sampled() || !detail::exporter_installed()) return;
  RecordedSpan out;
  out.context = rec.context;
  out.parent_span_id = rec.parent_span_id;
  out.name = std::move(rec.name);
  out.kind = rec.kind;
  out.start = rec.start;
  out.end = rec.end;
  out.attributes = std::move(rec.attributes);
  out.status = rec.status;
  out.status_message = std::move(rec.status_message);
  out.dropped_attributes = rec.dropped_attributes;
  export_recorded(std::move(out));
}

const SpanContext& Span::context() const {
  return data_ == nullptr ? kEmptyContext : data_->record.context;
}

Span::Scope Span::activate() {
  const SpanContext* previous = t_current;
  if (data_ != nullptr) {
    data_->active = true;
    data_->previous_current = previous;
    t_current = &data_->record.context;
  }
  return Scope(previous);
}

Span::Scope::Scope(const SpanContext* previous) : previous_(previous) {}

Span::Scope::~Scope() { t_current = previous_; }

}  // namespace aether::trace
