// The NATS micro v1 JSON documents and the naming rules (ADR-32).
#include <fmt/format.h>

#include <ctime>
#include <regex>

#include "aether/bus/micro.hpp"

namespace aether::bus {
namespace {

constexpr const char* kPingType = "io.nats.micro.v1.ping_response";
constexpr const char* kInfoType = "io.nats.micro.v1.info_response";
constexpr const char* kStatsType = "io.nats.micro.v1.stats_response";

nlohmann::json identity(const ServiceInfo& info, const char* type) {
  return nlohmann::json{{"type", type},
                        {"name", info.config.name},
                        {"id", info.id},
                        {"version", info.config.version},
                        {"metadata", nlohmann::json(info.config.metadata)}};
}

bool valid_name(const std::string& s) {
  static const std::regex re("^[A-Za-z0-9_-]+$");
  return std::regex_match(s, re);
}

}  // namespace

std::string rfc3339_nanos(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  long frac = static_cast<long>(ns % 1'000'000'000);
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

nlohmann::json micro_ping_json(const ServiceInfo& info) { return identity(info, kPingType); }

nlohmann::json micro_info_json(const ServiceInfo& info) {
  auto out = identity(info, kInfoType);
  out["description"] = info.config.description;
  auto endpoints = nlohmann::json::array();
  for (const auto& e : info.endpoints) {
    endpoints.push_back({{"name", e.config.name},
                         {"subject", e.config.subject},
                         {"queue_group", e.config.queue_group},
                         {"metadata", nlohmann::json(e.config.metadata)}});
  }
  out["endpoints"] = std::move(endpoints);
  return out;
}

nlohmann::json micro_stats_json(const ServiceInfo& info) {
  auto out = identity(info, kStatsType);
  out["started"] = rfc3339_nanos(info.started);
  auto endpoints = nlohmann::json::array();
  for (const auto& e : info.endpoints) {
    const auto total = e.stats.processing_time.count();
    const auto n = e.stats.num_requests;
    endpoints.push_back({{"name", e.config.name},
                         {"subject", e.config.subject},
                         {"queue_group", e.config.queue_group},
                         {"num_requests", n},
                         {"num_errors", e.stats.num_errors},
                         {"last_error", e.stats.last_error},
                         {"processing_time", total},
                         {"average_processing_time",
                          n == 0 ? std::int64_t{0} : total / static_cast<std::int64_t>(n)}});
  }
  out["endpoints"] = std::move(endpoints);
  return out;
}

Result<void> validate_service_config(const ServiceConfig& c) {
  static const std::regex semver(
      R"(^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$)");
  if (!valid_name(c.name)) {
    return fail(Errc::kInvalidArgument,
                "service name '" + c.name + "' must match [A-Za-z0-9_-]+ and not be empty");
  }
  if (!std::regex_match(c.version, semver)) {
    return fail(Errc::kInvalidArgument,
                "service version '" + c.version + "' must be semantic (e.g. 1.0.0)");
  }
  return {};
}

Result<void> validate_endpoint_config(const EndpointConfig& c) {
  if (!valid_name(c.name)) {
    return fail(Errc::kInvalidArgument,
                "endpoint name '" + c.name + "' must match [A-Za-z0-9_-]+ and not be empty");
  }
  static const std::regex subject(R"(^[^ >]*[>]?$)");
  if (c.subject.empty() || !std::regex_match(c.subject, subject)) {
    return fail(Errc::kInvalidArgument, "endpoint " + c.name + ": subject '" + c.subject +
                                            "' must be non-empty, without spaces, '>' last");
  }
  if (c.queue_group.find(' ') != std::string::npos) {
    return fail(Errc::kInvalidArgument,
                "endpoint " + c.name + ": queue_group must not contain spaces");
  }
  return {};
}

}  // namespace aether::bus
