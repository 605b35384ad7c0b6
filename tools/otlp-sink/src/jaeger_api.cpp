#include "aether/otlp_sink/jaeger_api.hpp"

#include <charconv>
#include <chrono>
#include <utility>

namespace aether::otlp_sink {
namespace {

using nlohmann::json;

json tag(const std::string& key, const json& value) {
  if (value.is_string()) return {{"key", key}, {"type", "string"}, {"value", value}};
  if (value.is_boolean()) return {{"key", key}, {"type", "bool"}, {"value", value}};
  if (value.is_number_integer()) return {{"key", key}, {"type", "int64"}, {"value", value}};
  if (value.is_number_float()) return {{"key", key}, {"type", "float64"}, {"value", value}};
  return {{"key", key}, {"type", "string"}, {"value", value.dump()}};  // arrays, maps, null
}

json tags_of(const json& attributes) {
  json out = json::array();
  for (const auto& [key, value] : attributes.items()) out.push_back(tag(key, value));
  return out;
}

// What Jaeger's OTLP translator adds besides the span's own attributes.
json span_tags(const ReceivedSpan& span) {
  json out = tags_of(span.attributes);
  if (span.kind != "unspecified" && !span.kind.empty()) out.push_back(tag("span.kind", span.kind));
  if (span.status_code == "ok") out.push_back(tag("otel.status_code", "OK"));
  if (span.status_code == "error") {
    out.push_back(tag("otel.status_code", "ERROR"));
    out.push_back(tag("error", true));
    if (!span.status_message.empty()) {
      out.push_back(tag("otel.status_description", span.status_message));
    }
  }
  return out;
}

json envelope(json data, std::size_t total) {
  return {{"data", std::move(data)},
          {"total", total},
          {"limit", 0},
          {"offset", 0},
          {"errors", nullptr}};
}

JaegerReply error_reply(int status, const std::string& message) {
  return {status,
          {{"data", nullptr},
           {"total", 0},
           {"limit", 0},
           {"offset", 0},
           {"errors", json::array({{{"code", status}, {"msg", message}}})}}};
}

Result<std::uint64_t> parse_uint(const std::string& name, const std::string& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    return std::unexpected(Error{Errc::kBadRequest, "unable to parse param '" + name + "': '" +
                                                        text + "' is not a non-negative integer"});
  }
  return value;
}

// "90s", "30m", "1h", "2d" (the UI's lookback values); "custom" means none.
Result<std::uint64_t> parse_lookback_us(const std::string& text) {
  const auto bad = [&] {
    return std::unexpected(Error{Errc::kBadRequest, "unable to parse param 'lookback': '" + text +
                                                        "' is not <number><s|m|h|d> or custom"});
  };
  if (text.size() < 2) return bad();
  std::uint64_t unit_s = 0;
  switch (text.back()) {
    case 's':
      unit_s = 1;
      break;
    case 'm':
      unit_s = 60;
      break;
    case 'h':
      unit_s = 3600;
      break;
    case 'd':
      unit_s = 86400;
      break;
    default:
      return bad();
  }
  auto n = parse_uint("lookback", text.substr(0, text.size() - 1));
  if (!n || *n > 100000ULL * 86400 / unit_s) return bad();
  return *n * unit_s * 1'000'000;
}

std::uint64_t now_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::optional<std::string> param(const QueryParams& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

}  // namespace

json jaeger_trace(const std::vector<ReceivedSpan>& spans) {
  json out_spans = json::array();
  json processes = json::object();
  std::vector<std::pair<std::pair<std::string, std::string>, std::string>> process_ids;
  for (const auto& span : spans) {
    auto key = std::make_pair(span.service, span.resource.dump());
    std::string pid;
    for (const auto& [k, id] : process_ids) {
      if (k == key) pid = id;
    }
    if (pid.empty()) {
      pid = "p" + std::to_string(process_ids.size() + 1);
      process_ids.emplace_back(key, pid);
      processes[pid] = {{"serviceName", span.service}, {"tags", tags_of(span.resource)}};
    }
    json references = json::array();
    if (!span.parent_span_id.empty()) {
      references.push_back(
          {{"refType", "CHILD_OF"}, {"traceID", span.trace_id}, {"spanID", span.parent_span_id}});
    }
    const std::uint64_t end = std::max(span.end_unix_nano, span.start_unix_nano);
    out_spans.push_back({{"traceID", span.trace_id},
                         {"spanID", span.span_id},
                         {"flags", 1},
                         {"operationName", span.name},
                         {"references", std::move(references)},
                         {"startTime", span.start_unix_nano / 1000},
                         {"duration", (end - span.start_unix_nano) / 1000},
                         {"tags", span_tags(span)},
                         {"logs", json::array()},
                         {"processID", pid},
                         {"warnings", nullptr}});
  }
  return {{"traceID", spans.empty() ? std::string{} : spans.front().trace_id},
          {"spans", std::move(out_spans)},
          {"processes", std::move(processes)},
          {"warnings", nullptr}};
}

Result<std::string> normalize_trace_id(std::string_view id) {
  if (id.empty() || id.size() > 32) {
    return std::unexpected(
        Error{Errc::kBadRequest, "trace id '" + std::string(id) + "' must be 1 to 32 hex digits"});
  }
  std::string out(32 - id.size(), '0');
  for (char c : id) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return std::unexpected(
          Error{Errc::kBadRequest, "trace id '" + std::string(id) + "' is not hexadecimal"});
    }
    out += c;
  }
  return out;
}

Result<TraceQuery> parse_trace_query(const QueryParams& params, std::uint64_t now) {
  TraceQuery query;
  auto service = param(params, "service");
  if (!service) {
    return std::unexpected(Error{Errc::kBadRequest, "parameter 'service' is required"});
  }
  query.service = *service;
  if (auto op = param(params, "operation")) query.operation = *op;
  for (const char* unsupported : {"minDuration", "maxDuration"}) {
    if (param(params, unsupported)) {
      return std::unexpected(Error{Errc::kBadRequest, std::string("parameter '") + unsupported +
                                                          "' is not supported by this sink"});
    }
  }
  if (auto limit = param(params, "limit")) {
    auto n = parse_uint("limit", *limit);
    if (!n) return std::unexpected(n.error());
    query.limit = static_cast<std::size_t>(*n);
  }
  for (const char* name : {"start", "end"}) {
    if (auto text = param(params, name)) {
      auto n = parse_uint(name, *text);
      if (!n) return std::unexpected(n.error());
      (std::string_view(name) == "start" ? query.start_us : query.end_us) = *n;
    }
  }
  if (auto lookback = param(params, "lookback");
      lookback && *lookback != "custom" && !query.start_us) {
    auto span = parse_lookback_us(*lookback);
    if (!span) return std::unexpected(span.error());
    const std::uint64_t end = query.end_us.value_or(now);
    query.start_us = end > *span ? end - *span : 0;
  }
  if (query.start_us && query.end_us && *query.start_us > *query.end_us) {
    return std::unexpected(
        Error{Errc::kBadRequest, "parameter 'start' (" + std::to_string(*query.start_us) +
                                     ") is after 'end' (" + std::to_string(*query.end_us) + ")"});
  }
  if (auto tags = param(params, "tags")) {
    json doc = json::parse(*tags, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return std::unexpected(Error{
          Errc::kBadRequest, "unable to parse param 'tags': '" + *tags + "' is not a JSON object"});
    }
    for (const auto& [key, value] : doc.items()) {
      query.tags[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  return query;
}

JaegerReply JaegerApi::get_trace(std::string_view trace_id) const {
  auto id = normalize_trace_id(trace_id);
  if (!id) return error_reply(400, id.error().message);
  auto spans = store_.trace(*id);
  if (spans.empty()) return error_reply(404, "trace not found");
  return {200, envelope(json::array({jaeger_trace(spans)}), 1)};
}

JaegerReply JaegerApi::find_traces(const QueryParams& params) const {
  json data = json::array();
  if (params.contains("traceID")) {
    auto [first, last] = params.equal_range("traceID");
    for (auto it = first; it != last; ++it) {
      auto id = normalize_trace_id(it->second);
      if (!id) return error_reply(400, id.error().message);
      if (auto spans = store_.trace(*id); !spans.empty()) data.push_back(jaeger_trace(spans));
    }
    const std::size_t total = data.size();
    return {200, envelope(std::move(data), total)};
  }
  auto query = parse_trace_query(params, now_us());
  if (!query) return error_reply(400, query.error().message);
  for (const auto& trace : store_.find_traces(*query)) data.push_back(jaeger_trace(trace));
  const std::size_t total = data.size();
  return {200, envelope(std::move(data), total)};
}

JaegerReply JaegerApi::services() const {
  auto names = store_.services();
  const std::size_t total = names.size();
  return {200, envelope(json(names), total)};
}

JaegerReply JaegerApi::operations(const std::string& service) const {
  auto names = store_.operations(service);
  const std::size_t total = names.size();
  return {200, envelope(json(names), total)};
}

}  // namespace aether::otlp_sink
