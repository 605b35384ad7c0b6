#include "otlp_encode.hpp"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace aether::trace::detail {
namespace {

namespace common = opentelemetry::proto::common::v1;
namespace otlp = opentelemetry::proto::trace::v1;

constexpr const char* kScopeName = "aether.trace";

std::uint64_t unix_nanos(std::chrono::system_clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
}

void set_value(common::AnyValue* out, const AttributeValue& value) {
  std::visit(
      [out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out->set_string_value(v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out->set_int_value(v);
        } else if constexpr (std::is_same_v<T, double>) {
          out->set_double_value(v);
        } else {
          out->set_bool_value(v);
        }
      },
      value);
}

void add_string_attribute(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs,
                          const std::string& key, const std::string& value) {
  common::KeyValue* kv = attrs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

void fill_span(otlp::Span* out, const RecordedSpan& span) {
  const SpanContext& ctx = span.context;
  out->set_trace_id(ctx.trace_id.data(), ctx.trace_id.size());
  out->set_span_id(ctx.span_id.data(), ctx.span_id.size());
  if (!ctx.tracestate.empty()) out->set_trace_state(ctx.tracestate);
  if (span.parent_span_id) {
    out->set_parent_span_id(span.parent_span_id->data(), span.parent_span_id->size());
  }
  out->set_flags(ctx.flags);
  out->set_name(span.name);
  out->set_kind(static_cast<otlp::Span::SpanKind>(static_cast<int>(span.kind)));
  out->set_start_time_unix_nano(unix_nanos(span.start));
  out->set_end_time_unix_nano(unix_nanos(span.end));
  for (const auto& [key, value] : span.attributes) {
    common::KeyValue* kv = out->add_attributes();
    kv->set_key(key);
    set_value(kv->mutable_value(), value);
  }
  if (span.dropped_attributes > 0) out->set_dropped_attributes_count(span.dropped_attributes);
  if (span.status != StatusCode::kUnset) {
    out->mutable_status()->set_code(
        static_cast<otlp::Status::StatusCode>(static_cast<int>(span.status)));
    out->mutable_status()->set_message(span.status_message);
  }
}

}  // namespace

std::string encode_export_request(const std::vector<RecordedSpan>& spans,
                                  const ExporterConfig& config) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  // service name → its ScopeSpans; a batch holds few services, so a vector.
  std::vector<std::pair<std::string, otlp::ScopeSpans*>> scopes;
  auto scope_for = [&](const std::string& relayed) {
    const std::string& service = relayed.empty() ? config.service_name : relayed;
    for (auto& [name, scope] : scopes) {
      if (name == service) return scope;
    }
    otlp::ResourceSpans* resource_spans = request.add_resource_spans();
    auto* attrs = resource_spans->mutable_resource()->mutable_attributes();
    add_string_attribute(attrs, "service.name", service);
    add_string_attribute(attrs, "telemetry.sdk.name", "aether-trace");
    add_string_attribute(attrs, "telemetry.sdk.language", "cpp");
    const bool own = service == config.service_name;
    if (!own) add_string_attribute(attrs, "aether.exported_by", config.service_name);
    for (const auto& [key, value] : config.resource_attributes) {
      if (!own && (key == "service.instance.id" || key == "service.version")) continue;
      add_string_attribute(attrs, key, value);
    }
    otlp::ScopeSpans* scope = resource_spans->add_scope_spans();
    scope->mutable_scope()->set_name(kScopeName);
    scopes.emplace_back(service, scope);
    return scope;
  };
  if (spans.empty()) scope_for({});
  for (const RecordedSpan& span : spans) fill_span(scope_for(span.service_name)->add_spans(), span);
  return request.SerializeAsString();
}

std::int64_t rejected_spans(const std::string& response_body) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  if (response_body.empty() || !response.ParseFromString(response_body)) return 0;
  return response.partial_success().rejected_spans();
}

}  // namespace aether::trace::detail
