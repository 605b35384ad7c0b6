// The NATS micro v1 JSON documents and the naming rules (ADR-32).
#include <fmt/format.h>

#include <ctime>
#include <string_view>

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

// Hand-written instead of std::regex: GCC 12 warns (-Werror) inside
// <regex> under the sanitizer build, and these rules are short.
bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool valid_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!alnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

bool numeric(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Dot-separated identifiers of [0-9A-Za-z-]; in a pre-release, numeric ones
// have no leading zero.
bool valid_identifiers(std::string_view s, bool prerelease) {
  if (s.empty()) return false;
  while (true) {
    auto dot = s.find('.');
    std::string_view id = s.substr(0, dot);
    if (id.empty()) return false;
    for (char c : id) {
      if (!alnum(c) && c != '-') return false;
    }
    if (prerelease && numeric(id) && id.size() > 1 && id[0] == '0') return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

// Semantic Versioning 2.0.0: MAJOR.MINOR.PATCH[-pre][+build].
bool valid_semver(std::string_view v) {
  auto plus = v.find('+');
  if (plus != std::string_view::npos) {
    if (!valid_identifiers(v.substr(plus + 1), false)) return false;
    v = v.substr(0, plus);
  }
  auto dash = v.find('-');
  if (dash != std::string_view::npos) {
    if (!valid_identifiers(v.substr(dash + 1), true)) return false;
    v = v.substr(0, dash);
  }
  for (int part = 0; part < 3; ++part) {
    auto dot = v.find('.');
    if ((part < 2) == (dot == std::string_view::npos)) return false;
    std::string_view n = v.substr(0, dot);
    if (!numeric(n) || (n.size() > 1 && n[0] == '0')) return false;
    if (dot != std::string_view::npos) v.remove_prefix(dot + 1);
  }
  return true;
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
  if (!valid_name(c.name)) {
    return fail(Errc::kInvalidArgument,
                "service name '" + c.name + "' must match [A-Za-z0-9_-]+ and not be empty");
  }
  if (!valid_semver(c.version)) {
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
  const auto gt = c.subject.find('>');
  if (c.subject.empty() || c.subject.find_first_of(" \t\r\n") != std::string::npos ||
      (gt != std::string::npos && gt != c.subject.size() - 1)) {
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
