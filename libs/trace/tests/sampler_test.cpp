#include <catch2/catch.hpp>

#include "aether/trace/sampler.hpp"

using namespace aether::trace;

namespace {

SpanContext parent_with(bool sampled) {
  auto ctx = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  REQUIRE(ctx);
  ctx->flags = sampled ? 1 : 0;
  return *ctx;
}

// A trace id whose lower 56 bits are value (the part the ratio sampler reads).
TraceId trace_id_with_low(std::uint64_t value) {
  TraceId id{};
  id[0] = 0xff;  // the upper part must not matter
  for (int i = 15; i >= 9; --i, value >>= 8) id[i] = static_cast<std::uint8_t>(value & 0xff);
  return id;
}

}  // namespace

TEST_CASE("always_on and always_off ignore the parent") {
  TraceId id = trace_id_with_low(1);
  for (bool parent_sampled : {true, false}) {
    CHECK(should_sample({SamplerKind::kAlwaysOn, 1}, parent_with(parent_sampled), id));
    CHECK_FALSE(should_sample({SamplerKind::kAlwaysOff, 1}, parent_with(parent_sampled), id));
  }
  CHECK(should_sample({SamplerKind::kAlwaysOn, 1}, std::nullopt, id));
  CHECK_FALSE(should_sample({SamplerKind::kAlwaysOff, 1}, std::nullopt, id));
}

TEST_CASE("parent-based samplers follow the parent and use the root sampler without one") {
  TraceId id = trace_id_with_low(1);
  for (auto kind : {SamplerKind::kParentBasedAlwaysOn, SamplerKind::kParentBasedAlwaysOff,
                    SamplerKind::kParentBasedTraceIdRatio}) {
    CHECK(should_sample({kind, 0.0}, parent_with(true), id));
    CHECK_FALSE(should_sample({kind, 1.0}, parent_with(false), id));
  }
  CHECK(should_sample({SamplerKind::kParentBasedAlwaysOn, 0}, std::nullopt, id));
  CHECK_FALSE(should_sample({SamplerKind::kParentBasedAlwaysOff, 1}, std::nullopt, id));
  CHECK(should_sample({SamplerKind::kParentBasedTraceIdRatio, 0.5}, std::nullopt, id));
  // An invalid parent counts as no parent.
  CHECK(should_sample({SamplerKind::kParentBasedAlwaysOn, 0}, SpanContext{}, id));
}

TEST_CASE("traceidratio compares the trace id's lower 56 bits with the ratio") {
  constexpr std::uint64_t kHalf = std::uint64_t{1} << 55;
  SamplerConfig half{SamplerKind::kTraceIdRatio, 0.5};
  CHECK(should_sample(half, std::nullopt, trace_id_with_low(0)));
  CHECK(should_sample(half, std::nullopt, trace_id_with_low(kHalf - 1)));
  CHECK_FALSE(should_sample(half, std::nullopt, trace_id_with_low(kHalf)));
  CHECK_FALSE(should_sample(half, std::nullopt, trace_id_with_low((kHalf << 1) - 1)));
  CHECK_FALSE(should_sample({SamplerKind::kTraceIdRatio, 0.0}, std::nullopt, trace_id_with_low(0)));
  CHECK(should_sample({SamplerKind::kTraceIdRatio, 1.0}, std::nullopt,
                      trace_id_with_low((kHalf << 1) - 1)));
  // The ratio sampler ignores the parent's flag (only parentbased_* follows it).
  CHECK(should_sample(half, parent_with(false), trace_id_with_low(0)));
}

TEST_CASE("traceidratio samples roughly the ratio of random traces") {
  int sampled = 0;
  constexpr int kSpans = 4000;
  set_sampler({SamplerKind::kTraceIdRatio, 0.25});
  for (int i = 0; i < kSpans; ++i) {
    Span span("ratio", SpanKind::kInternal, std::nullopt);
    sampled += span.context().sampled() ? 1 : 0;
  }
  // 25% of 4000 = 1000, standard deviation ~27: a wide band that only a
  // broken sampler or id generator falls outside.
  CHECK(sampled > 800);
  CHECK(sampled < 1200);
}
