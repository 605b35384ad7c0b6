#include <catch2/catch.hpp>
#include <map>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "otlp_encode.hpp"

using namespace aether::trace;

TEST_CASE("a recorded span encodes to OTLP with ids, kind, times, attributes and status") {
  RecordedSpan span;
  span.context = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  span.parent_span_id = SpanId{1, 2, 3, 4, 5, 6, 7, 8};
  span.name = "vm-worker boot";
  span.kind = SpanKind::kConsumer;
  span.start = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  span.end = span.start + std::chrono::milliseconds(5);
  span.attributes = {{"s", std::string("x")}, {"i", std::int64_t{7}}, {"d", 1.5}, {"b", true}};
  span.status = StatusCode::kError;
  span.status_message = "boom";
  span.dropped_attributes = 3;
  ExporterConfig config;
  config.service_name = "vm-worker";
  config.resource_attributes = {{"env", "dev"}};

  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  REQUIRE(request.ParseFromString(detail::encode_export_request({span}, config)));
  REQUIRE(request.resource_spans_size() == 1);
  const auto& resource = request.resource_spans(0).resource();
  CHECK(resource.attributes(0).key() == "service.name");
  CHECK(resource.attributes(0).value().string_value() == "vm-worker");
  const auto& out = request.resource_spans(0).scope_spans(0).spans(0);
  CHECK(out.trace_id() ==
        std::string("\x4b\xf9\x2f\x35\x77\xb3\x4d\xa6\xa3\xce\x92\x9d\x0e\x0e\x47\x36", 16));
  CHECK(out.span_id() == std::string("\x00\xf0\x67\xaa\x0b\xa9\x02\xb7", 8));
  CHECK(out.parent_span_id() == std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  CHECK(out.name() == "vm-worker boot");
  CHECK(out.kind() == opentelemetry::proto::trace::v1::Span::SPAN_KIND_CONSUMER);
  CHECK(out.start_time_unix_nano() == 1700000000000000000ULL);
  CHECK(out.end_time_unix_nano() == 1700000000005000000ULL);
  REQUIRE(out.attributes_size() == 4);
  CHECK(out.attributes(1).value().int_value() == 7);
  CHECK(out.attributes(2).value().double_value() == 1.5);
  CHECK(out.attributes(3).value().bool_value());
  CHECK(out.status().code() == opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  CHECK(out.status().message() == "boom");
  CHECK(out.dropped_attributes_count() == 3);
}

TEST_CASE("a root span has an empty parent_span_id") {
  RecordedSpan span;
  span.context = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  span.name = "root";
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  REQUIRE(request.ParseFromString(detail::encode_export_request({span}, ExporterConfig{})));
  CHECK(request.resource_spans(0).scope_spans(0).spans(0).parent_span_id().empty());
}

TEST_CASE("a relayed span with its own service name gets its own resource in the same request") {
  auto ctx = *parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  RecordedSpan worker;
  worker.context = ctx;
  worker.name = "vm-worker exec";
  RecordedSpan agent;
  agent.context = ctx;
  agent.context.span_id = SpanId{9, 9, 9, 9, 9, 9, 9, 9};
  agent.parent_span_id = ctx.span_id;
  agent.name = "vm-agent exec";
  agent.service_name = "vm-agent";
  RecordedSpan worker2 = worker;
  worker2.name = "vm-worker exec 2";
  ExporterConfig config;
  config.service_name = "vm-worker";
  config.resource_attributes = {{"deployment.environment", "dev"},
                                {"service.instance.id", "worker-7"}};

  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  REQUIRE(request.ParseFromString(detail::encode_export_request({worker, agent, worker2}, config)));
  REQUIRE(request.resource_spans_size() == 2);
  auto attrs = [&](int i) {
    std::map<std::string, std::string> out;
    for (const auto& kv : request.resource_spans(i).resource().attributes()) {
      out[kv.key()] = kv.value().string_value();
    }
    return out;
  };
  CHECK(attrs(0)["service.name"] == "vm-worker");
  CHECK(attrs(0)["service.instance.id"] == "worker-7");
  CHECK_FALSE(attrs(0).contains("aether.exported_by"));
  CHECK(request.resource_spans(0).scope_spans(0).spans_size() == 2);  // both worker spans
  CHECK(attrs(1)["service.name"] == "vm-agent");
  CHECK(attrs(1)["aether.exported_by"] == "vm-worker");
  CHECK(attrs(1)["deployment.environment"] == "dev");
  CHECK_FALSE(attrs(1).contains("service.instance.id"));  // that names the worker process
  const auto& relayed = request.resource_spans(1).scope_spans(0).spans(0);
  CHECK(relayed.name() == "vm-agent exec");
  CHECK(relayed.trace_id() == request.resource_spans(0).scope_spans(0).spans(0).trace_id());
  CHECK(relayed.parent_span_id() == std::string("\x00\xf0\x67\xaa\x0b\xa9\x02\xb7", 8));
}
