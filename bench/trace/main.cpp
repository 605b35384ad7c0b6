// aether-bench-trace: what a span costs the caller.
//
// Baseline (same run): spans created and ended with tracing not initialised
// (ids, sampling, current-span bookkeeping only). Compared with: the same
// spans while the OTLP exporter is installed and shipping to an in-process
// OtlpSink over loopback. Prints ns/span for both and the ratio.
#include <chrono>
#include <cstdio>

#include "aether/otlp_sink/otlp_sink.hpp"
#include "aether/trace/exporter.hpp"
#include "aether/trace/trace.hpp"

namespace trace = aether::trace;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kSpans = 200'000;

double ns_per_span() {
  auto start = Clock::now();
  for (int i = 0; i < kSpans; ++i) {
    trace::Span root("bench root", trace::SpanKind::kServer, std::nullopt);
    auto scope = root.activate();
    trace::Span child("bench child");
    child.set_attribute("i", std::int64_t{i});
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  return static_cast<double>(ns) / (2.0 * kSpans);
}

}  // namespace

int main() {
  ns_per_span();  // warm-up
  const double baseline = ns_per_span();

  aether::otlp_sink::OtlpSink sink;
  if (!sink.start()) {
    std::fprintf(stderr, "cannot start the in-process sink\n");
    return 1;
  }
  trace::ExporterConfig config;
  config.service_name = "bench";
  config.endpoint = sink.endpoint() + "/v1/traces";
  config.max_queue_size = 2 * kSpans;  // measure the enqueue, not drops
  config.max_export_batch_size = 512;
  config.schedule_delay = std::chrono::milliseconds(50);
  if (auto ok = trace::init(config); !ok) {
    std::fprintf(stderr, "%s\n", ok.error().message.c_str());
    return 1;
  }
  const double exporting = ns_per_span();
  auto flush_start = Clock::now();
  trace::shutdown(std::chrono::seconds(60));
  auto flush_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - flush_start).count();
  auto stats = trace::stats();

  std::printf("spans per run:                 %d\n", 2 * kSpans);
  std::printf("no exporter (baseline):        %.0f ns/span\n", baseline);
  std::printf("exporting to OTLP sink:        %.0f ns/span\n", exporting);
  std::printf("ratio exporting / baseline:    %.2f\n", exporting / baseline);
  std::printf("exported %llu, dropped %llu, failed %llu, retried %llu; drain at shutdown %lld ms\n",
              static_cast<unsigned long long>(stats.exported),
              static_cast<unsigned long long>(stats.dropped),
              static_cast<unsigned long long>(stats.failed),
              static_cast<unsigned long long>(stats.retried), static_cast<long long>(flush_ms));
  std::printf("sink received %zu spans\n", sink.spans().size());
  std::printf(
      "BENCH figure=trace.span_cost value=%.0f unit=ns/span baseline=%.0f "
      "baseline_of=no_exporter better=lower\n",
      exporting, baseline);
  return 0;
}
