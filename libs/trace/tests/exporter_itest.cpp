// The exporter against a real OTLP/HTTP receiver (the in-process OtlpSink).
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "aether/otlp_sink/otlp_sink.hpp"
#include "aether/trace/exporter.hpp"
#include "aether/trace/trace.hpp"

using namespace aether::trace;
using aether::otlp_sink::OtlpSink;
using aether::otlp_sink::SinkOptions;
using namespace std::chrono_literals;

namespace {

constexpr auto kWait = 20s;  // generous upper bound, never a timing assertion

ExporterConfig config_for(const std::string& base_url) {
  ExporterConfig config;
  config.service_name = "trace-itest";
  config.endpoint = base_url + "/v1/traces";
  config.schedule_delay = 20ms;
  config.timeout = 5s;
  config.retry.initial_backoff = 10ms;
  config.retry.max_backoff = 50ms;
  config.retry.max_attempts = 3;
  return config;
}

// Shuts the exporter down even when an assertion fails mid-test.
struct ExporterGuard {
  ~ExporterGuard() { shutdown(5s); }
};

}  // namespace

TEST_CASE("spans reach the collector with parent links, service name and attributes") {
  OtlpSink sink;
  REQUIRE(sink.start());
  REQUIRE(init(config_for(sink.endpoint())));
  ExporterGuard guard;

  SpanContext parent_ctx;
  SpanContext child_ctx;
  SpanContext remote_child_ctx;
  {
    Span parent("api POST /v1/vms", SpanKind::kServer, std::nullopt);
    parent_ctx = parent.context();
    auto scope = parent.activate();
    Span child("api publish", SpanKind::kProducer);
    child.set_attribute("vm.id", std::string("vm-1"));
    child.set_attribute("attempt", std::int64_t{2});
    child.set_error("no capacity");
    child_ctx = child.context();
    // Across a "bus hop": headers carry the child's context.
    std::map<std::string, std::string, std::less<>> headers;
    inject(child.context(), [&](std::string_view k, std::string_view v) {
      headers[std::string(k)] = std::string(v);
    });
    auto remote_parent = extract([&](std::string_view k) -> std::optional<std::string> {
      auto it = headers.find(k);
      return it == headers.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
    REQUIRE(remote_parent);
    Span remote("vm-worker create", SpanKind::kConsumer, remote_parent);
    remote_child_ctx = remote.context();
  }
  REQUIRE(force_flush(kWait));
  REQUIRE(sink.wait_for_spans(3, kWait));
  shutdown(5s);

  auto spans = sink.spans();
  REQUIRE(spans.size() == 3);
  auto find = [&](const std::string& span_id) {
    for (const auto& s : spans) {
      if (s.span_id == span_id) return s;
    }
    FAIL("span " << span_id << " not received");
    return spans.front();
  };
  auto parent = find(parent_ctx.span_id_hex());
  auto child = find(child_ctx.span_id_hex());
  auto remote = find(remote_child_ctx.span_id_hex());
  for (const auto& s : spans) {
    CHECK(s.trace_id == parent_ctx.trace_id_hex());
    CHECK(s.service == "trace-itest");
    CHECK(s.end_unix_nano >= s.start_unix_nano);
  }
  CHECK(parent.parent_span_id.empty());
  CHECK(parent.kind == "server");
  CHECK(child.parent_span_id == parent.span_id);
  CHECK(child.kind == "producer");
  CHECK(child.attributes["vm.id"] == "vm-1");
  CHECK(child.attributes["attempt"] == 2);
  CHECK(child.status_code == "error");
  CHECK(child.status_message == "no capacity");
  CHECK(remote.parent_span_id == child.span_id);
  CHECK(remote.name == "vm-worker create");
  CHECK(stats().exported == 3);
  CHECK(stats().failed == 0);
  CHECK(stats().dropped == 0);
}

TEST_CASE("export_recorded ships a span recorded elsewhere exactly as recorded") {
  OtlpSink sink;
  REQUIRE(sink.start());
  REQUIRE(init(config_for(sink.endpoint())));
  ExporterGuard guard;

  RecordedSpan rec;
  rec.context = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  rec.parent_span_id = SpanId{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7};
  rec.name = "vm-agent exec";
  rec.kind = SpanKind::kServer;
  rec.start = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  rec.end = rec.start + 3ms;
  rec.attributes = {{"exit_code", std::int64_t{0}}};
  export_recorded(rec);
  REQUIRE(force_flush(kWait));
  REQUIRE(sink.wait_for_spans(1, kWait));
  auto s = sink.spans().at(0);
  CHECK(s.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(s.span_id == "00f067aa0ba902b7");
  CHECK(s.parent_span_id == "a0a1a2a3a4a5a6a7");
  CHECK(s.start_unix_nano == 1'700'000'000'000'000'000ULL);
  CHECK(s.end_unix_nano == 1'700'000'000'003'000'000ULL);
  CHECK(s.attributes["exit_code"] == 0);
}

TEST_CASE("unsampled spans are not exported") {
  OtlpSink sink;
  REQUIRE(sink.start());
  auto config = config_for(sink.endpoint());
  config.sampler = {SamplerKind::kAlwaysOff, 0};
  REQUIRE(init(config));
  ExporterGuard guard;
  { Span span("dropped by sampler", SpanKind::kInternal, std::nullopt); }
  set_sampler({SamplerKind::kAlwaysOn, 1});
  { Span span("kept", SpanKind::kInternal, std::nullopt); }
  REQUIRE(force_flush(kWait));
  REQUIRE(sink.wait_for_spans(1, kWait));
  shutdown(5s);
  REQUIRE(sink.spans().size() == 1);
  CHECK(sink.spans()[0].name == "kept");
}

TEST_CASE("a collector that is down: spans fail and are counted, then delivery resumes") {
  int port = 0;
  {
    OtlpSink probe;
    auto bound = probe.start();
    REQUIRE(bound);
    port = *bound;
  }  // stopped: nothing listens on the port now
  SinkOptions options;
  options.port = port;
  OtlpSink sink(options);  // started later; declared first so it outlives the exporter
  auto config = config_for("http://127.0.0.1:" + std::to_string(port));
  config.max_export_batch_size = 2;
  REQUIRE(init(config));
  ExporterGuard guard;

  for (int i = 0; i < 3; ++i) Span span("while down", SpanKind::kInternal, std::nullopt);
  REQUIRE(force_flush(kWait));
  CHECK(stats().failed == 3);
  CHECK(stats().exported == 0);
  CHECK(stats().retried >= 2);  // each failing batch was retried

  REQUIRE(sink.start());
  for (int i = 0; i < 2; ++i) Span span("after recovery", SpanKind::kInternal, std::nullopt);
  REQUIRE(force_flush(kWait));
  REQUIRE(sink.wait_for_spans(2, kWait));
  CHECK(stats().exported == 2);
  CHECK(stats().failed == 3);
  for (const auto& s : sink.spans()) CHECK(s.name == "after recovery");
}

TEST_CASE("503 is retried with backoff until the collector accepts") {
  SinkOptions options;
  options.fail_first = 2;
  options.fail_status = 503;
  OtlpSink sink(options);
  REQUIRE(sink.start());
  REQUIRE(init(config_for(sink.endpoint())));
  ExporterGuard guard;
  { Span span("retried", SpanKind::kInternal, std::nullopt); }
  REQUIRE(force_flush(kWait));
  REQUIRE(sink.wait_for_spans(1, kWait));
  CHECK(sink.refused_requests() == 2);
  CHECK(stats().retried == 2);
  CHECK(stats().exported == 1);
  CHECK(stats().failed == 0);
}

TEST_CASE("429 with Retry-After is retried after the server's delay") {
  SinkOptions options;
  options.fail_first = 1;
  options.fail_status = 429;
  options.retry_after_seconds = 1;
  OtlpSink sink(options);
  REQUIRE(sink.start());
  REQUIRE(init(config_for(sink.endpoint())));
  ExporterGuard guard;
  { Span span("throttled", SpanKind::kInternal, std::nullopt); }
  REQUIRE(force_flush(kWait));
  REQUIRE(sink.wait_for_spans(1, kWait));
  CHECK(stats().retried == 1);
  CHECK(stats().exported == 1);
}

TEST_CASE("a non-retryable status fails the batch at once and later batches still go") {
  SinkOptions options;
  options.fail_first = 1;
  options.fail_status = 400;
  OtlpSink sink(options);
  REQUIRE(sink.start());
  REQUIRE(init(config_for(sink.endpoint())));
  ExporterGuard guard;
  { Span span("rejected", SpanKind::kInternal, std::nullopt); }
  REQUIRE(force_flush(kWait));
  CHECK(stats().failed == 1);
  CHECK(stats().retried == 0);
  { Span span("accepted", SpanKind::kInternal, std::nullopt); }
  REQUIRE(force_flush(kWait));
  REQUIRE(sink.wait_for_spans(1, kWait));
  CHECK(stats().exported == 1);
}

TEST_CASE("a full queue drops and counts spans instead of blocking") {
  // The collector throttles with a long Retry-After, so the one batch in
  // flight sits in backoff while the caller keeps ending spans.
  SinkOptions options;
  options.fail_first = 1000;
  options.fail_status = 503;
  options.retry_after_seconds = 60;
  OtlpSink sink(options);
  REQUIRE(sink.start());
  auto config = config_for(sink.endpoint());
  config.max_queue_size = 4;
  config.max_export_batch_size = 1;
  config.retry.max_attempts = 100;
  config.retry.max_retry_after = 60s;
  REQUIRE(init(config));
  ExporterGuard guard;

  constexpr int kSpans = 11;
  for (int i = 0; i < kSpans; ++i) Span span("flood", SpanKind::kInternal, std::nullopt);
  // At most 4 queued + 1 in flight were accepted.
  CHECK(stats().dropped >= kSpans - 5);
  // Shutdown gives up on the throttled batch and the queue at its deadline.
  shutdown(200ms);
  CHECK(stats().dropped == kSpans);
  CHECK(stats().exported == 0);
  CHECK(sink.spans().empty());
}

TEST_CASE("init twice is refused, and without an endpoint spans propagate but nothing is sent") {
  ExporterConfig no_endpoint;
  no_endpoint.service_name = "quiet";
  REQUIRE(init(no_endpoint));
  Span span("propagated", SpanKind::kServer, std::nullopt);
  CHECK(span.context().valid());
  CHECK(span.context().sampled());
  CHECK(force_flush(1s));
  shutdown(1s);

  OtlpSink sink;
  REQUIRE(sink.start());
  REQUIRE(init(config_for(sink.endpoint())));
  ExporterGuard guard;
  auto again = init(config_for(sink.endpoint()));
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::kAlreadyRunning);
}

TEST_CASE("init_from_env reads the endpoint and service name from OTEL_* variables") {
  OtlpSink sink;
  REQUIRE(sink.start());
  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.endpoint().c_str(), 1);
  ::setenv("OTEL_SERVICE_NAME", "from-env", 1);
  ::setenv("OTEL_BSP_SCHEDULE_DELAY", "20", 1);
  auto ok = init_from_env("default-name");
  ::unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  ::unsetenv("OTEL_SERVICE_NAME");
  ::unsetenv("OTEL_BSP_SCHEDULE_DELAY");
  REQUIRE(ok);
  ExporterGuard guard;
  { Span span("env", SpanKind::kInternal, std::nullopt); }
  REQUIRE(force_flush(kWait));
  REQUIRE(sink.wait_for_spans(1, kWait));
  CHECK(sink.spans()[0].service == "from-env");
}

TEST_CASE("span attributes are capped and status follows the OpenTelemetry rules") {
  OtlpSink sink;
  REQUIRE(sink.start());
  REQUIRE(init(config_for(sink.endpoint())));
  ExporterGuard guard;
  {
    Span span("many attributes", SpanKind::kInternal, std::nullopt);
    for (int i = 0; i < 130; ++i) span.set_attribute("k" + std::to_string(i), std::int64_t{i});
    span.set_attribute("k0", std::string("replaced"));  // replacing works at the cap
    span.set_status(StatusCode::kOk);
    span.set_error("ignored: Ok is final");
    span.set_status(StatusCode::kUnset);
  }
  {
    Span span("error then unset", SpanKind::kInternal, std::nullopt);
    span.set_error("real failure");
    span.set_status(StatusCode::kUnset);
  }
  REQUIRE(force_flush(kWait));
  REQUIRE(sink.wait_for_spans(2, kWait));
  for (const auto& s : sink.spans()) {
    if (s.name == "many attributes") {
      CHECK(s.attributes.size() == kMaxSpanAttributes);
      CHECK(s.attributes["k0"] == "replaced");
      CHECK_FALSE(s.attributes.contains("k128"));
      CHECK(s.status_code == "ok");
      CHECK(s.status_message.empty());
    } else {
      CHECK(s.status_code == "error");
      CHECK(s.status_message == "real failure");
    }
  }
}

TEST_CASE("spans ended on many threads all arrive, each with a distinct id") {
  OtlpSink sink;
  REQUIRE(sink.start());
  auto config = config_for(sink.endpoint());
  config.max_queue_size = 10'000;
  config.max_export_batch_size = 100;
  REQUIRE(init(config));
  ExporterGuard guard;

  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) {
        Span span("worker " + std::to_string(t), SpanKind::kInternal, std::nullopt);
        auto scope = span.activate();
        Span child("child");
      }
    });
  }
  for (auto& th : threads) th.join();
  constexpr std::size_t kTotal = 2 * kThreads * kPerThread;
  REQUIRE(force_flush(kWait));
  REQUIRE(sink.wait_for_spans(kTotal, kWait));
  std::set<std::string> span_ids;
  std::set<std::string> trace_ids;
  for (const auto& s : sink.spans()) {
    span_ids.insert(s.span_id);
    trace_ids.insert(s.trace_id);
  }
  CHECK(span_ids.size() == kTotal);
  CHECK(trace_ids.size() == kTotal / 2);  // each root and its child share one
  CHECK(stats().exported == kTotal);
  CHECK(stats().dropped == 0);
}
