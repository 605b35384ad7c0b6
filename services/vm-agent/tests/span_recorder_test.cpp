#include <catch2/catch.hpp>

#include "span_recorder.hpp"

using aether::vm_agent::parse_traceparent;

TEST_CASE("traceparent parsing accepts version 00 and rejects malformed values") {
  auto ok = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  CHECK(ok.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(ok.span_id == "00f067aa0ba902b7");
  CHECK(parse_traceparent("").trace_id.empty());
  CHECK(parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")
            .trace_id.empty());
  CHECK(parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01")
            .trace_id.empty());
  CHECK(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")
            .trace_id.empty());
  CHECK(parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .trace_id.empty());
}

TEST_CASE("a span without a parent starts a new trace") {
  aether::vm_agent::SpanRecorder recorder;
  recorder.start("vm-agent exec", {});
  auto span = recorder.finish();
  CHECK(span.trace_id().size() == 32);
  CHECK(span.parent_span_id().empty());
  CHECK(span.end().seconds() >= span.start().seconds());
}
