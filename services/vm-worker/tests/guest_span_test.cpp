#include <catch2/catch.hpp>

#include "guest_span.hpp"

using namespace aether;

TEST_CASE("guest span: a well-formed RemoteSpan keeps its ids, parent and times") {
  v1::RemoteSpan s;
  s.set_trace_id("0af7651916cd43dd8448eb211c80319c");
  s.set_span_id("b7ad6b7169203331");
  s.set_parent_span_id("00f067aa0ba902b7");
  s.set_name("vm-agent exec");
  s.mutable_start()->set_seconds(100);
  s.mutable_end()->set_seconds(101);
  (*s.mutable_attributes())["exit_code"] = "0";
  s.set_error(true);
  s.set_status_message("boom");
  auto r = worker::to_recorded_span(s);
  REQUIRE(r);
  CHECK(r->context.trace_id_hex() == s.trace_id());
  CHECK(r->context.span_id_hex() == s.span_id());
  REQUIRE(r->parent_span_id);
  CHECK(trace::to_hex(*r->parent_span_id) == s.parent_span_id());
  CHECK(r->end - r->start == std::chrono::seconds(1));
  CHECK(r->status == trace::StatusCode::kError);
  CHECK(r->attributes.size() == 1);
}

TEST_CASE("guest span: malformed ids are refused") {
  v1::RemoteSpan s;
  s.set_trace_id("XYZ");
  s.set_span_id("b7ad6b7169203331");
  CHECK_FALSE(worker::to_recorded_span(s));
  s.set_trace_id("00000000000000000000000000000000");
  CHECK_FALSE(worker::to_recorded_span(s));
  s.set_trace_id("0af7651916cd43dd8448eb211c80319c");
  s.set_parent_span_id("12");
  CHECK_FALSE(worker::to_recorded_span(s));
}
