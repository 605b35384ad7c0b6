// ExportTraceServiceRequest (protobuf or OTLP/JSON) → ReceivedSpan.
#include <google/protobuf/util/json_util.h>

#include "aether/otlp_sink/otlp_sink.hpp"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace aether::otlp_sink {
namespace {

namespace common = opentelemetry::proto::common::v1;
namespace otlp = opentelemetry::proto::trace::v1;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

std::string hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0x0f];
  }
  return out;
}

nlohmann::json to_json(const common::AnyValue& value) {
  switch (value.value_case()) {
    case common::AnyValue::kStringValue:
      return value.string_value();
    case common::AnyValue::kBoolValue:
      return value.bool_value();
    case common::AnyValue::kIntValue:
      return value.int_value();
    case common::AnyValue::kDoubleValue:
      return value.double_value();
    case common::AnyValue::kArrayValue: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& v : value.array_value().values()) out.push_back(to_json(v));
      return out;
    }
    case common::AnyValue::kKvlistValue: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : value.kvlist_value().values()) out[kv.key()] = to_json(kv.value());
      return out;
    }
    case common::AnyValue::kBytesValue:
      return hex(value.bytes_value());
    case common::AnyValue::VALUE_NOT_SET:
      break;
  }
  return nullptr;
}

std::string kind_name(int kind) {
  switch (kind) {
    case otlp::Span::SPAN_KIND_INTERNAL:
      return "internal";
    case otlp::Span::SPAN_KIND_SERVER:
      return "server";
    case otlp::Span::SPAN_KIND_CLIENT:
      return "client";
    case otlp::Span::SPAN_KIND_PRODUCER:
      return "producer";
    case otlp::Span::SPAN_KIND_CONSUMER:
      return "consumer";
    default:
      return "unspecified";
  }
}

std::string status_name(int code) {
  switch (code) {
    case otlp::Status::STATUS_CODE_OK:
      return "ok";
    case otlp::Status::STATUS_CODE_ERROR:
      return "error";
    default:
      return "unset";
  }
}

std::vector<ReceivedSpan> flatten(const ExportTraceServiceRequest& request) {
  std::vector<ReceivedSpan> out;
  for (const auto& resource_spans : request.resource_spans()) {
    std::string service;
    nlohmann::json resource = nlohmann::json::object();
    for (const auto& kv : resource_spans.resource().attributes()) {
      if (kv.key() == "service.name") {
        service = kv.value().string_value();
      } else {
        resource[kv.key()] = to_json(kv.value());
      }
    }
    for (const auto& scope_spans : resource_spans.scope_spans()) {
      for (const auto& span : scope_spans.spans()) {
        ReceivedSpan r;
        r.trace_id = hex(span.trace_id());
        r.span_id = hex(span.span_id());
        r.parent_span_id = hex(span.parent_span_id());
        r.name = span.name();
        r.kind = kind_name(span.kind());
        r.service = service;
        r.start_unix_nano = span.start_time_unix_nano();
        r.end_unix_nano = span.end_time_unix_nano();
        for (const auto& kv : span.attributes()) r.attributes[kv.key()] = to_json(kv.value());
        r.status_code = status_name(span.status().code());
        r.status_message = span.status().message();
        r.resource = resource;
        out.push_back(std::move(r));
      }
    }
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    auto n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
             (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
             static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(n >> s) & 0x3f];
  }
  if (std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t n = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) n |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[(n >> 18) & 0x3f];
    out += kAlphabet[(n >> 12) & 0x3f];
    out += rest == 2 ? kAlphabet[(n >> 6) & 0x3f] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> unhex(const std::string& text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int v = 0;
    for (char c : {text[i], text[i + 1]}) {
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    out += static_cast<char>(v);
  }
  return out;
}

// OTLP/JSON spells trace and span ids as hex, where the proto3 JSON mapping
// (which protobuf's parser implements) expects base64 for bytes.
bool ids_hex_to_base64(nlohmann::json& node, std::string& error) {
  if (node.is_array()) {
    for (auto& item : node) {
      if (!ids_hex_to_base64(item, error)) return false;
    }
  } else if (node.is_object()) {
    for (auto& [key, value] : node.items()) {
      if (value.is_string() && (key == "traceId" || key == "spanId" || key == "parentSpanId" ||
                                key == "trace_id" || key == "span_id" || key == "parent_span_id")) {
        auto bytes = unhex(value.get<std::string>());
        if (!bytes) {
          error = key + " is not hex: '" + value.get<std::string>() + "'";
          return false;
        }
        value = base64(*bytes);
      } else if (!ids_hex_to_base64(value, error)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

Result<std::vector<ReceivedSpan>> decode_protobuf(std::string_view body) {
  ExportTraceServiceRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return std::unexpected(
        Error{Errc::kBadRequest, "body is not a protobuf ExportTraceServiceRequest"});
  }
  return flatten(request);
}

Result<std::vector<ReceivedSpan>> decode_json(std::string_view body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    return std::unexpected(Error{Errc::kBadRequest, "body is not valid JSON"});
  }
  std::string error;
  if (!ids_hex_to_base64(doc, error)) return std::unexpected(Error{Errc::kBadRequest, error});
  ExportTraceServiceRequest request;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(doc.dump(), &request, options);
  if (!status.ok()) {
    return std::unexpected(Error{Errc::kBadRequest, "not an OTLP/JSON ExportTraceServiceRequest: " +
                                                        std::string(status.message())});
  }
  return flatten(request);
}

nlohmann::json ReceivedSpan::to_json() const {
  return nlohmann::json{{"trace_id", trace_id},
                        {"span_id", span_id},
                        {"parent_span_id", parent_span_id},
                        {"name", name},
                        {"kind", kind},
                        {"service", service},
                        {"start_unix_nano", start_unix_nano},
                        {"end_unix_nano", end_unix_nano},
                        {"attributes", attributes},
                        {"status", {{"code", status_code}, {"message", status_message}}},
                        {"resource", resource}};
}

}  // namespace aether::otlp_sink
