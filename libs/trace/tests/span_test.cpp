#include <thread>

#include <catch2/catch.hpp>

#include "aether/trace/sampler.hpp"
#include "aether/trace/trace.hpp"

using namespace aether::trace;

TEST_CASE("a root span starts a new valid trace") {
  Span a("test a");
  Span b("test b", SpanKind::kInternal, std::nullopt);
  CHECK(a.context().valid());
  CHECK(b.context().valid());
  CHECK(a.context().trace_id != b.context().trace_id);
  CHECK(a.context().span_id != b.context().span_id);
}

TEST_CASE("a child span shares the trace id and gets its own span id") {
  Span parent("parent", SpanKind::kServer, std::nullopt);
  Span child("child", SpanKind::kClient, parent.context());
  CHECK(child.context().trace_id == parent.context().trace_id);
  CHECK(child.context().span_id != parent.context().span_id);
}

TEST_CASE("a remote parent's tracestate is carried to the child") {
  auto remote = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(remote);
  remote->tracestate = "vendor=x";
  Span child("child", SpanKind::kServer, remote);
  CHECK(child.context().trace_id_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(child.context().tracestate == "vendor=x");
  CHECK(child.context().sampled());
}

TEST_CASE("activate makes a span current and the scope restores the previous one") {
  REQUIRE_FALSE(current_context());
  Span outer("outer", SpanKind::kInternal, std::nullopt);
  {
    auto outer_scope = outer.activate();
    REQUIRE(current_context());
    CHECK(current_context()->span_id == outer.context().span_id);
    {
      Span inner("inner");  // default parent: the current span
      CHECK(inner.context().trace_id == outer.context().trace_id);
      auto inner_scope = inner.activate();
      CHECK(current_context()->span_id == inner.context().span_id);
    }
    CHECK(current_context()->span_id == outer.context().span_id);
  }
  CHECK_FALSE(current_context());
}

TEST_CASE("the current span is per thread") {
  Span span("main thread", SpanKind::kInternal, std::nullopt);
  auto scope = span.activate();
  bool other_thread_saw_span = true;
  std::thread t([&] { other_thread_saw_span = current_context().has_value(); });
  t.join();
  CHECK_FALSE(other_thread_saw_span);
  CHECK(current_context());
}

TEST_CASE("a span destroyed before its scope does not leave a dangling current span") {
  std::optional<Span> span;
  span.emplace("short-lived", SpanKind::kInternal, std::nullopt);
  {
    auto scope = span->activate();
    span.reset();
    CHECK_FALSE(current_context());
  }
  CHECK_FALSE(current_context());
}

TEST_CASE("a moved span keeps its context") {
  Span a("a", SpanKind::kInternal, std::nullopt);
  SpanContext ctx = a.context();
  Span b(std::move(a));
  CHECK(b.context().span_id == ctx.span_id);
  CHECK_FALSE(a.context().valid());  // NOLINT: moved-from state is defined
}

TEST_CASE("the sampler decides the sampled flag of new spans") {
  set_sampler({SamplerKind::kAlwaysOff, 1.0});
  Span off("off", SpanKind::kInternal, std::nullopt);
  CHECK_FALSE(off.context().sampled());
  set_sampler({SamplerKind::kParentBasedAlwaysOn, 1.0});
  Span child_of_unsampled("child", SpanKind::kInternal, off.context());
  CHECK_FALSE(child_of_unsampled.context().sampled());
  Span root("root", SpanKind::kInternal, std::nullopt);
  CHECK(root.context().sampled());
}
