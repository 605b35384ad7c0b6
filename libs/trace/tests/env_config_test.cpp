#include <map>

#include <catch2/catch.hpp>

#include "aether/trace/exporter.hpp"

using namespace aether::trace;

namespace {

EnvLookup env_of(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<ExporterConfig> config_of(std::map<std::string, std::string, std::less<>> vars) {
  return exporter_config_from_env("aether-test", env_of(std::move(vars)));
}

}  // namespace

TEST_CASE("defaults: service name from the caller, no endpoint, OpenTelemetry batch defaults") {
  auto config = config_of({});
  REQUIRE(config);
  CHECK(config->service_name == "aether-test");
  CHECK(config->endpoint.empty());
  CHECK_FALSE(config->disabled);
  CHECK(config->sampler.kind == SamplerKind::kParentBasedAlwaysOn);
  CHECK(config->max_queue_size == 2048);
  CHECK(config->max_export_batch_size == 512);
  CHECK(config->schedule_delay == std::chrono::milliseconds(5000));
  CHECK(config->timeout == std::chrono::milliseconds(10000));
}

TEST_CASE("OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended") {
  auto config = config_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"}});
  REQUIRE(config);
  CHECK(config->endpoint == "http://127.0.0.1:4318/v1/traces");
  config = config_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/base/"}});
  REQUIRE(config);
  CHECK(config->endpoint == "http://collector:4318/base/v1/traces");
}

TEST_CASE("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as-is and wins") {
  auto config = config_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"},
                           {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://b:443/custom"}});
  REQUIRE(config);
  CHECK(config->endpoint == "https://b:443/custom");
}

TEST_CASE("OTEL_TRACES_EXPORTER=none exports nothing") {
  auto config = config_of(
      {{"OTEL_TRACES_EXPORTER", "none"}, {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"}});
  REQUIRE(config);
  CHECK(config->endpoint.empty());
}

TEST_CASE("service name: OTEL_SERVICE_NAME over OTEL_RESOURCE_ATTRIBUTES over the default") {
  auto config = config_of({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs,env=dev"}});
  REQUIRE(config);
  CHECK(config->service_name == "from-attrs");
  REQUIRE(config->resource_attributes.size() == 1);
  CHECK(config->resource_attributes[0] == std::pair<std::string, std::string>{"env", "dev"});
  config = config_of({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"},
                      {"OTEL_SERVICE_NAME", "from-name"}});
  REQUIRE(config);
  CHECK(config->service_name == "from-name");
}

TEST_CASE("headers and resource attributes are percent-decoded key=value lists") {
  auto config = config_of({{"OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20abc, x-k = v "},
                           {"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=a%2Cb"}});
  REQUIRE(config);
  REQUIRE(config->headers.size() == 2);
  CHECK(config->headers[0].second == "Bearer abc");
  CHECK(config->headers[1] == std::pair<std::string, std::string>{"x-k", "v"});
  CHECK(config->resource_attributes[0].second == "a,b");
}

TEST_CASE("sampler names and ratio") {
  auto config =
      config_of({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.25"}});
  REQUIRE(config);
  CHECK(config->sampler.kind == SamplerKind::kTraceIdRatio);
  CHECK(config->sampler.ratio == 0.25);
  config = config_of({{"OTEL_TRACES_SAMPLER", "parentbased_always_off"}});
  REQUIRE(config);
  CHECK(config->sampler.kind == SamplerKind::kParentBasedAlwaysOff);
}

TEST_CASE("batch settings and disabled flag") {
  auto config = config_of({{"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
                           {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"},
                           {"OTEL_BSP_SCHEDULE_DELAY", "250"},
                           {"OTEL_EXPORTER_OTLP_TIMEOUT", "1500"},
                           {"OTEL_SDK_DISABLED", "TRUE"}});
  REQUIRE(config);
  CHECK(config->max_queue_size == 100);
  CHECK(config->max_export_batch_size == 10);
  CHECK(config->schedule_delay == std::chrono::milliseconds(250));
  CHECK(config->timeout == std::chrono::milliseconds(1500));
  CHECK(config->disabled);
  // A queue smaller than the default batch shrinks the batch to fit.
  config = config_of({{"OTEL_BSP_MAX_QUEUE_SIZE", "16"}});
  REQUIRE(config);
  CHECK(config->max_export_batch_size == 16);
}

TEST_CASE("an empty variable counts as unset") {
  auto config = config_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", ""}, {"OTEL_TRACES_SAMPLER", " "}});
  REQUIRE(config);
  CHECK(config->endpoint.empty());
}

TEST_CASE("bad values are errors naming the variable and the rule") {
  struct Case {
    std::string var;
    std::string value;
    std::string rule;  // a fragment of the expected message
  };
  const std::vector<Case> cases = {
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318", "http:// or https://"},
      {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://x/v1/traces", "http:// or https://"},
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://", "must name a host"},
      {"OTEL_EXPORTER_OTLP_HEADERS", "novalue", "is not key=value"},
      {"OTEL_EXPORTER_OTLP_HEADERS", "=v", "empty key"},
      {"OTEL_EXPORTER_OTLP_HEADERS", "k=%zz", "two hex digits"},
      {"OTEL_EXPORTER_OTLP_HEADERS", "k=abc%4", "two hex digits"},
      {"OTEL_RESOURCE_ATTRIBUTES", "a=1,broken", "is not key=value"},
      {"OTEL_EXPORTER_OTLP_TIMEOUT", "10s", "non-negative integer"},
      {"OTEL_EXPORTER_OTLP_TIMEOUT", "0", "between 1 and"},
      {"OTEL_TRACES_SAMPLER", "sometimes", "must be one of"},
      {"OTEL_BSP_MAX_QUEUE_SIZE", "-5", "non-negative integer"},
      {"OTEL_BSP_MAX_QUEUE_SIZE", "0", "between 1 and"},
      {"OTEL_BSP_SCHEDULE_DELAY", "soon", "non-negative integer"},
      {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096", "must not exceed OTEL_BSP_MAX_QUEUE_SIZE"},
      {"OTEL_SDK_DISABLED", "yes", "true or false"},
      {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "only http/protobuf"},
      {"OTEL_TRACES_EXPORTER", "jaeger", "otlp or none"},
  };
  for (const auto& c : cases) {
    INFO(c.var << "=" << c.value);
    auto config = config_of({{c.var, c.value}});
    REQUIRE_FALSE(config);
    CHECK(config.error().code == Errc::kInvalidConfig);
    CHECK_THAT(config.error().message, Catch::Contains(c.var));
    CHECK_THAT(config.error().message, Catch::Contains(c.rule));
  }
}

TEST_CASE("a bad sampler ratio names OTEL_TRACES_SAMPLER_ARG") {
  for (std::string arg : {"1.5", "-0.1", "half", "0.5x"}) {
    INFO(arg);
    auto config =
        config_of({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", arg}});
    REQUIRE_FALSE(config);
    CHECK_THAT(config.error().message, Catch::Contains("OTEL_TRACES_SAMPLER_ARG"));
    CHECK_THAT(config.error().message, Catch::Contains("between 0 and 1"));
  }
}

TEST_CASE("describe prints the effective settings with header values masked") {
  auto config = config_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                           {"OTEL_EXPORTER_OTLP_HEADERS", "authorization=secret-token"},
                           {"OTEL_TRACES_SAMPLER", "always_off"}});
  REQUIRE(config);
  std::string text = describe(*config);
  CHECK_THAT(text, Catch::Contains("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://c:4318/v1/traces"));
  CHECK_THAT(text, Catch::Contains("OTEL_EXPORTER_OTLP_HEADERS=authorization=***"));
  CHECK_THAT(text, Catch::Contains("OTEL_TRACES_SAMPLER=always_off"));
  CHECK_THAT(text, Catch::Contains("OTEL_SERVICE_NAME=aether-test"));
  CHECK(text.find("secret-token") == std::string::npos);
}
