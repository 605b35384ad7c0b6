// Random trace and span ids from a per-thread PRNG.
#pragma once

#include "aether/trace/trace.hpp"

namespace aether::trace::detail {

// Never all-zero (an all-zero id is invalid in W3C trace-context).
[[nodiscard]] TraceId random_trace_id();
[[nodiscard]] SpanId random_span_id();

}  // namespace aether::trace::detail
