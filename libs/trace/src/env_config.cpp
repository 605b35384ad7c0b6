// ExporterConfig from the standard OTEL_* environment variables.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "aether/config/text.hpp"
#include "aether/trace/exporter.hpp"

namespace aether::trace {
namespace {

using config::lower;
using config::trim;

std::unexpected<Error> bad(std::string_view var, std::string_view value, std::string_view rule) {
  return std::unexpected(Error{Errc::kInvalidConfig, std::string(var) + "='" + std::string(value) +
                                                         "': " + std::string(rule)});
}

// An empty variable is treated as unset, as the OpenTelemetry spec asks.
std::optional<std::string> get(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  if (value && trim(*value).empty()) return std::nullopt;
  return value;
}

Result<std::uint64_t> parse_integer(std::string_view var, std::string_view text, std::uint64_t min,
                                    std::uint64_t max) {
  std::string_view t = trim(text);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc{} || end != t.data() + t.size()) {
    return bad(var, text, "must be a non-negative integer");
  }
  if (value < min || value > max) {
    return bad(var, text, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return value;
}

Result<std::string> percent_decode(std::string_view var, std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size()) {
      return bad(var, text, "'%' must be followed by two hex digits");
    }
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc{} || end != text.data() + i + 3) {
      return bad(var, text, "'%' must be followed by two hex digits");
    }
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

// "k1=v1,k2=v2" with percent-encoded values (W3C baggage syntax, as used by
// OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES).
Result<KeyValues> parse_key_values(std::string_view var, std::string_view text) {
  KeyValues out;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return bad(var, text, "entry '" + std::string(item) + "' is not key=value");
    }
    std::string_view key = trim(item.substr(0, eq));
    if (key.empty()) return bad(var, text, "entry '" + std::string(item) + "' has an empty key");
    auto value = percent_decode(var, trim(item.substr(eq + 1)));
    if (!value) return std::unexpected(value.error());
    out.emplace_back(std::string(key), std::move(*value));
  }
  return out;
}

Result<std::string> parse_url(std::string_view var, std::string_view text) {
  std::string_view t = trim(text);
  std::string_view rest;
  if (t.starts_with("http://")) {
    rest = t.substr(7);
  } else if (t.starts_with("https://")) {
    rest = t.substr(8);
  } else {
    return bad(var, text, "must be an http:// or https:// URL");
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') {
    return bad(var, text, "URL must name a host");
  }
  if (t.find_first_of(" \t\r\n") != std::string_view::npos) {
    return bad(var, text, "URL must not contain whitespace");
  }
  return std::string(t);
}

Result<void> apply_sampler(const EnvLookup& env, ExporterConfig& config) {
  constexpr std::string_view kVar = "OTEL_TRACES_SAMPLER";
  constexpr std::string_view kArgVar = "OTEL_TRACES_SAMPLER_ARG";
  if (auto name = get(env, kVar)) {
    std::string n = lower(trim(*name));
    if (n == "always_on") {
      config.sampler.kind = SamplerKind::kAlwaysOn;
    } else if (n == "always_off") {
      config.sampler.kind = SamplerKind::kAlwaysOff;
    } else if (n == "traceidratio") {
      config.sampler.kind = SamplerKind::kTraceIdRatio;
    } else if (n == "parentbased_always_on") {
      config.sampler.kind = SamplerKind::kParentBasedAlwaysOn;
    } else if (n == "parentbased_always_off") {
      config.sampler.kind = SamplerKind::kParentBasedAlwaysOff;
    } else if (n == "parentbased_traceidratio") {
      config.sampler.kind = SamplerKind::kParentBasedTraceIdRatio;
    } else {
      return bad(kVar, *name,
                 "must be one of always_on, always_off, traceidratio, parentbased_always_on, "
                 "parentbased_always_off, parentbased_traceidratio");
    }
  }
  const bool ratio_sampler = config.sampler.kind == SamplerKind::kTraceIdRatio ||
                             config.sampler.kind == SamplerKind::kParentBasedTraceIdRatio;
  auto arg = get(env, kArgVar);
  if (arg && ratio_sampler) {
    std::string_view t = trim(*arg);
    double ratio = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), ratio);
    if (ec != std::errc{} || end != t.data() + t.size() || !(ratio >= 0.0 && ratio <= 1.0)) {
      return bad(kArgVar, *arg, "must be a number between 0 and 1 for a traceidratio sampler");
    }
    config.sampler.ratio = ratio;
  }
  return {};
}

Result<void> apply_endpoint(const EnvLookup& env, ExporterConfig& config) {
  for (std::string_view var :
       {"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"}) {
    if (auto protocol = get(env, var); protocol && trim(*protocol) != "http/protobuf") {
      return bad(var, *protocol, "only http/protobuf is supported");
    }
  }
  if (auto exporter = get(env, "OTEL_TRACES_EXPORTER")) {
    std::string e = lower(trim(*exporter));
    if (e == "none") return {};  // endpoint stays empty: nothing exported
    if (e != "otlp") return bad("OTEL_TRACES_EXPORTER", *exporter, "must be otlp or none");
  }
  if (auto url = get(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    auto parsed = parse_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", *url);
    if (!parsed) return std::unexpected(parsed.error());
    config.endpoint = std::move(*parsed);  // used as-is, per the spec
  } else if (auto base = get(env, "OTEL_EXPORTER_OTLP_ENDPOINT")) {
    auto parsed = parse_url("OTEL_EXPORTER_OTLP_ENDPOINT", *base);
    if (!parsed) return std::unexpected(parsed.error());
    while (parsed->ends_with('/')) parsed->pop_back();
    config.endpoint = *parsed + "/v1/traces";
  }
  for (std::string_view var : {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
    auto text = get(env, var);
    if (!text) continue;
    auto headers = parse_key_values(var, *text);
    if (!headers) return std::unexpected(headers.error());
    for (auto& [key, value] : *headers) {
      // The traces-specific variable overrides a generic header of that name.
      std::erase_if(config.headers, [&](const auto& kv) { return lower(kv.first) == lower(key); });
      config.headers.emplace_back(key, value);
    }
  }
  for (std::string_view var : {"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"}) {
    if (auto text = get(env, var)) {
      auto ms = parse_integer(var, *text, 1, 600'000);
      if (!ms) return std::unexpected(ms.error());
      config.timeout = std::chrono::milliseconds(*ms);
    }
  }
  return {};
}

Result<void> apply_batching(const EnvLookup& env, ExporterConfig& config) {
  if (auto text = get(env, "OTEL_BSP_MAX_QUEUE_SIZE")) {
    auto n = parse_integer("OTEL_BSP_MAX_QUEUE_SIZE", *text, 1, 1'000'000);
    if (!n) return std::unexpected(n.error());
    config.max_queue_size = *n;
  }
  if (auto text = get(env, "OTEL_BSP_SCHEDULE_DELAY")) {
    auto ms = parse_integer("OTEL_BSP_SCHEDULE_DELAY", *text, 1, 3'600'000);
    if (!ms) return std::unexpected(ms.error());
    config.schedule_delay = std::chrono::milliseconds(*ms);
  }
  if (auto text = get(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) {
    auto n = parse_integer("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", *text, 1, 1'000'000);
    if (!n) return std::unexpected(n.error());
    if (*n > config.max_queue_size) {
      return bad("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", *text,
                 "must not exceed OTEL_BSP_MAX_QUEUE_SIZE (" +
                     std::to_string(config.max_queue_size) + ")");
    }
    config.max_export_batch_size = *n;
  }
  // The default batch size (512) must also fit a smaller configured queue.
  config.max_export_batch_size = std::min(config.max_export_batch_size, config.max_queue_size);
  return {};
}

std::string_view sampler_name(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::kAlwaysOn:
      return "always_on";
    case SamplerKind::kAlwaysOff:
      return "always_off";
    case SamplerKind::kTraceIdRatio:
      return "traceidratio";
    case SamplerKind::kParentBasedAlwaysOn:
      return "parentbased_always_on";
    case SamplerKind::kParentBasedAlwaysOff:
      return "parentbased_always_off";
    case SamplerKind::kParentBasedTraceIdRatio:
      return "parentbased_traceidratio";
  }
  return "?";
}

}  // namespace

std::string describe(const ExporterConfig& config) {
  std::string out;
  auto line = [&out](std::string_view key, const std::string& value) {
    out += std::string(key) + "=" + value + "\n";
  };
  line("OTEL_SDK_DISABLED", config.disabled ? "true" : "false");
  line("OTEL_SERVICE_NAME", config.service_name);
  std::string attrs;
  for (const auto& [k, v] : config.resource_attributes)
    attrs += (attrs.empty() ? "" : ",") + k + "=" + v;
  line("OTEL_RESOURCE_ATTRIBUTES", attrs);
  line("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
       config.endpoint.empty() ? "(none: spans are not exported)" : config.endpoint);
  std::string headers;
  for (const auto& [k, v] : config.headers) headers += (headers.empty() ? "" : ",") + k + "=***";
  line("OTEL_EXPORTER_OTLP_HEADERS", headers);
  line("OTEL_EXPORTER_OTLP_TIMEOUT", std::to_string(config.timeout.count()));
  line("OTEL_TRACES_SAMPLER", std::string(sampler_name(config.sampler.kind)));
  line("OTEL_TRACES_SAMPLER_ARG", std::to_string(config.sampler.ratio));
  line("OTEL_BSP_MAX_QUEUE_SIZE", std::to_string(config.max_queue_size));
  line("OTEL_BSP_SCHEDULE_DELAY", std::to_string(config.schedule_delay.count()));
  line("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", std::to_string(config.max_export_batch_size));
  return out;
}

std::optional<std::string> process_env(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<ExporterConfig> exporter_config_from_env(std::string_view default_service_name,
                                                const EnvLookup& env) {
  ExporterConfig config;
  if (auto text = get(env, "OTEL_SDK_DISABLED")) {
    std::string v = lower(trim(*text));
    if (v != "true" && v != "false")
      return bad("OTEL_SDK_DISABLED", *text, "must be true or false");
    config.disabled = v == "true";
  }
  config.service_name = std::string(default_service_name);
  if (auto text = get(env, "OTEL_RESOURCE_ATTRIBUTES")) {
    auto attrs = parse_key_values("OTEL_RESOURCE_ATTRIBUTES", *text);
    if (!attrs) return std::unexpected(attrs.error());
    for (auto& [key, value] : *attrs) {
      if (key == "service.name") {
        config.service_name = value;
      } else {
        config.resource_attributes.emplace_back(key, value);
      }
    }
  }
  if (auto name = get(env, "OTEL_SERVICE_NAME")) config.service_name = std::string(trim(*name));
  if (auto r = apply_sampler(env, config); !r) return std::unexpected(r.error());
  if (auto r = apply_endpoint(env, config); !r) return std::unexpected(r.error());
  if (auto r = apply_batching(env, config); !r) return std::unexpected(r.error());
  return config;
}

}  // namespace aether::trace
