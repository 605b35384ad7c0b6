// Head sampling: whether a new span is recorded and exported. Decided once
// when the span starts; the decision travels in the sampled flag.
#pragma once

#include <optional>

#include "aether/trace/trace.hpp"

namespace aether::trace {

// The OTEL_TRACES_SAMPLER values.
enum class SamplerKind {
  kAlwaysOn,
  kAlwaysOff,
  kTraceIdRatio,
  kParentBasedAlwaysOn,
  kParentBasedAlwaysOff,
  kParentBasedTraceIdRatio,
};

struct SamplerConfig {
  SamplerKind kind = SamplerKind::kParentBasedAlwaysOn;  // the OpenTelemetry default
  double ratio = 1.0;                                    // [0, 1], for the ratio samplers
};

// Parent-based samplers follow a valid parent's sampled flag and use their
// root sampler only for new traces. The ratio decision is a function of the
// trace id alone (its lower 56 bits), so every service agrees on it.
[[nodiscard]] bool should_sample(const SamplerConfig& config,
                                 const std::optional<SpanContext>& parent, const TraceId& trace_id);

// The process-wide sampler used by Span (set by init(); thread-safe).
void set_sampler(SamplerConfig config);
[[nodiscard]] SamplerConfig sampler();

}  // namespace aether::trace
