#include <catch2/catch.hpp>

#include "aether/otlp_sink/otlp_sink.hpp"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

using namespace aether::otlp_sink;
namespace otlp = opentelemetry::proto::trace::v1;

TEST_CASE("protobuf requests decode to one record per span with the resource's service") {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("api");
  auto* scope = rs->add_scope_spans();
  auto* span = scope->add_spans();
  span->set_trace_id(std::string(16, '\x11'));
  span->set_span_id(std::string(8, '\x22'));
  span->set_parent_span_id(std::string(8, '\x33'));
  span->set_name("api POST /v1/vms");
  span->set_kind(otlp::Span::SPAN_KIND_SERVER);
  span->set_start_time_unix_nano(10);
  span->set_end_time_unix_nano(20);
  auto* a = span->add_attributes();
  a->set_key("http.status_code");
  a->mutable_value()->set_int_value(201);
  span->mutable_status()->set_code(otlp::Status::STATUS_CODE_OK);
  scope->add_spans()->set_name("second");

  auto spans = decode_protobuf(request.SerializeAsString());
  REQUIRE(spans);
  REQUIRE(spans->size() == 2);
  const auto& s = spans->at(0);
  CHECK(s.trace_id == std::string(32, '1'));
  CHECK(s.span_id == std::string(16, '2'));
  CHECK(s.parent_span_id == std::string(16, '3'));
  CHECK(s.service == "api");
  CHECK(s.kind == "server");
  CHECK(s.status_code == "ok");
  auto json = s.to_json();
  CHECK(json["attributes"]["http.status_code"] == 201);
  CHECK(json["start_unix_nano"] == 10);
  CHECK(json["status"]["code"] == "ok");
  CHECK(spans->at(1).service == "api");
  CHECK(spans->at(1).parent_span_id.empty());
}

TEST_CASE("OTLP/JSON requests with hex ids decode like protobuf") {
  const char* body = R"({"resourceSpans":[{
    "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cli"}}]},
    "scopeSpans":[{"scope":{"name":"x"},"spans":[{
      "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
      "parentSpanId":"eee19b7ec3c1b173","name":"cli run","kind":3,
      "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
      "attributes":[{"key":"n","value":{"intValue":"42"}},{"key":"ok","value":{"boolValue":true}}],
      "status":{"code":2,"message":"bad"}}]}]}]})";
  auto spans = decode_json(body);
  INFO((spans ? "" : spans.error().message));
  REQUIRE(spans);
  REQUIRE(spans->size() == 1);
  const auto& s = spans->at(0);
  CHECK(s.trace_id == "5b8efff798038103d269b633813fc60c");
  CHECK(s.span_id == "eee19b7ec3c1b174");
  CHECK(s.parent_span_id == "eee19b7ec3c1b173");
  CHECK(s.kind == "client");
  CHECK(s.service == "cli");
  CHECK(s.start_unix_nano == 1544712660000000000ULL);
  CHECK(s.attributes["n"] == 42);
  CHECK(s.attributes["ok"] == true);
  CHECK(s.status_code == "error");
  CHECK(s.status_message == "bad");
}

TEST_CASE("malformed bodies are errors, not crashes") {
  CHECK_FALSE(decode_protobuf("\xff\xff\xff"));
  CHECK_FALSE(decode_json("{not json"));
  auto bad_id = decode_json(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]})");
  REQUIRE_FALSE(bad_id);
  CHECK_THAT(bad_id.error().message, Catch::Contains("traceId"));
  CHECK_FALSE(decode_json(R"({"resourceSpans":"nope"})"));
}
