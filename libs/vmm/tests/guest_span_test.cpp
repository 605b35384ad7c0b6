#include <catch2/catch.hpp>

#include "guest_span.hpp"

using namespace aether;
using aether::vmm::guest_span_for_export;

namespace {

constexpr const char* kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kParent = "00f067aa0ba902b7";

void set_time(google::protobuf::Timestamp* t, std::chrono::system_clock::time_point at) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
  t->set_seconds(ns / 1'000'000'000);
  t->set_nanos(static_cast<int>(ns % 1'000'000'000));
}

v1::RemoteSpan guest_span(std::chrono::system_clock::time_point start,
                          std::chrono::system_clock::time_point end) {
  v1::RemoteSpan span;
  span.set_trace_id(kTrace);
  span.set_span_id("1111222233334444");
  span.set_parent_span_id(kParent);
  span.set_name("vm-agent exec");
  set_time(span.mutable_start(), start);
  set_time(span.mutable_end(), end);
  (*span.mutable_attributes())["process.exit_code"] = "3";
  span.set_error(true);
  span.set_status_message("exit code 3");
  return span;
}

v1::TraceContext request_trace(bool sampled = true) {
  v1::TraceContext trace;
  trace.set_traceparent(sampled ? "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                                : "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  return trace;
}

}  // namespace

TEST_CASE("a guest span in the request's trace is exported as its child, clamped in time") {
  const auto sent = std::chrono::system_clock::now();
  const auto received = sent + std::chrono::seconds(2);
  // The guest clock runs an hour late: its times are clamped into the window.
  auto span = guest_span(sent - std::chrono::hours(1), sent + std::chrono::seconds(1));
  auto out = guest_span_for_export(span, request_trace(), sent, received);
  REQUIRE(out);
  CHECK(out->context.trace_id_hex() == kTrace);
  CHECK(out->context.span_id_hex() == "1111222233334444");
  REQUIRE(out->parent_span_id);
  CHECK(trace::to_hex(*out->parent_span_id) == kParent);
  CHECK(out->start == sent);
  CHECK(out->end <= received);
  CHECK(out->end >= out->start);
  CHECK(out->status == trace::StatusCode::kError);
  CHECK(out->name == "vm-agent exec");
  CHECK(out->service_name == "vm-agent");  // its own resource, not the worker's
}

TEST_CASE("guest spans outside the request's trace or unsampled are not exported") {
  const auto now = std::chrono::system_clock::now();
  auto span = guest_span(now, now);
  CHECK_FALSE(guest_span_for_export(span, request_trace(false), now, now));
  CHECK_FALSE(guest_span_for_export(span, v1::TraceContext{}, now, now));
  span.set_trace_id("ffffffffffffffffffffffffffffffff");
  CHECK_FALSE(guest_span_for_export(span, request_trace(), now, now));
  span = guest_span(now, now);
  span.set_span_id("not-hex");
  CHECK_FALSE(guest_span_for_export(span, request_trace(), now, now));
}
