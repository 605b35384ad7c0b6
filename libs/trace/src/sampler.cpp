#include "aether/trace/sampler.hpp"

#include <atomic>
#include <cmath>

namespace aether::trace {
namespace {

// Two atomics rather than a mutex: read on every span start, written once at
// init. A reader racing with init may pair a new kind with an old ratio for
// one span, which is harmless.
std::atomic<SamplerKind> g_kind{SamplerKind::kParentBasedAlwaysOn};
std::atomic<double> g_ratio{1.0};

bool ratio_sample(double ratio, const TraceId& trace_id) {
  if (ratio >= 1.0) return true;
  if (ratio <= 0.0) return false;
  // The rightmost 7 bytes are the random part in W3C trace-context level 2.
  std::uint64_t value = 0;
  for (std::size_t i = 9; i < 16; ++i) value = (value << 8) | trace_id[i];
  constexpr double kRange = 72057594037927936.0;  // 2^56
  // Compare as integers: a 56-bit value does not always fit a double exactly.
  return value < static_cast<std::uint64_t>(std::floor(ratio * kRange));
}

}  // namespace

bool should_sample(const SamplerConfig& config, const std::optional<SpanContext>& parent,
                   const TraceId& trace_id) {
  const bool has_parent = parent && parent->valid();
  switch (config.kind) {
    case SamplerKind::kAlwaysOn:
      return true;
    case SamplerKind::kAlwaysOff:
      return false;
    case SamplerKind::kTraceIdRatio:
      return ratio_sample(config.ratio, trace_id);
    case SamplerKind::kParentBasedAlwaysOn:
      return has_parent ? parent->sampled() : true;
    case SamplerKind::kParentBasedAlwaysOff:
      return has_parent ? parent->sampled() : false;
    case SamplerKind::kParentBasedTraceIdRatio:
      return has_parent ? parent->sampled() : ratio_sample(config.ratio, trace_id);
  }
  return false;
}

void set_sampler(SamplerConfig config) {
  g_ratio.store(config.ratio, std::memory_order_relaxed);
  g_kind.store(config.kind, std::memory_order_release);
}

SamplerConfig sampler() {
  SamplerConfig config;
  config.kind = g_kind.load(std::memory_order_acquire);
  config.ratio = g_ratio.load(std::memory_order_relaxed);
  return config;
}

}  // namespace aether::trace
