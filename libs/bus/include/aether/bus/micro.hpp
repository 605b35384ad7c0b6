// NATS micro v1 (ADR-32) served by this library, since cnats 3.4 has none:
// a Service answers $SRV.PING, $SRV.INFO and $SRV.STATS (each also as
// .<name> and .<name>.<id>) with the spec's JSON, so `nats micro ls` and any
// micro client list our services. Endpoints added through the Service are
// served like serve() and counted in STATS automatically.
//
// Lifecycle: Service::start() subscribes the discovery subjects; endpoints
// are added afterwards; destroying the Service unsubscribes everything.
// Threads: add_endpoint() and the JSON getters are safe from any thread;
// discovery requests are answered on cnats' delivery threads.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aether/bus/connection.hpp"
#include "aether/bus/serve.hpp"

namespace aether::bus {

using Metadata = std::map<std::string, std::string>;

struct ServiceConfig {
  std::string name;     // [A-Za-z0-9_-]+, shared by every instance
  std::string version;  // semver, e.g. 1.2.3
  std::string description;
  Metadata metadata;
};

struct EndpointConfig {
  std::string name;               // [A-Za-z0-9_-]+
  std::string subject;            // no spaces; may end in '>'
  std::string queue_group = "q";  // micro's default queue group
  Metadata metadata;
  std::string operation;  // span operation; default: name
};

// The data behind the micro JSON (kept apart from the Service so the JSON
// rules are unit-testable without a server).
struct EndpointInfo {
  EndpointConfig config;
  EndpointStats::Snapshot stats;
};
struct ServiceInfo {
  ServiceConfig config;
  std::string id;
  std::chrono::system_clock::time_point started;
  std::vector<EndpointInfo> endpoints;
};

[[nodiscard]] nlohmann::json micro_ping_json(const ServiceInfo& info);
[[nodiscard]] nlohmann::json micro_info_json(const ServiceInfo& info);
[[nodiscard]] nlohmann::json micro_stats_json(const ServiceInfo& info);
// RFC 3339 in UTC with nanoseconds, as Go's micro prints `started`.
[[nodiscard]] std::string rfc3339_nanos(std::chrono::system_clock::time_point t);

[[nodiscard]] Result<void> validate_service_config(const ServiceConfig& config);
[[nodiscard]] Result<void> validate_endpoint_config(const EndpointConfig& config);

class Service {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Service>> start(Connection& connection,
                                                              ServiceConfig config);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  [[nodiscard]] Result<void> add_endpoint_raw(EndpointConfig config, RawHandler handler);
  template <class Req, class Rep>
  [[nodiscard]] Result<void> add_endpoint(EndpointConfig config, Handler<Req, Rep> handler);

  [[nodiscard]] const std::string& id() const { return id_; }
  [[nodiscard]] const std::string& name() const { return config_.name; }
  [[nodiscard]] ServiceInfo info() const;

 private:
  Service(Connection connection, ServiceConfig config);
  [[nodiscard]] Result<void> subscribe_discovery();

  struct Endpoint {
    EndpointConfig config;
    std::shared_ptr<EndpointStats> stats;
    Subscription subscription;
  };

  Connection connection_;
  const ServiceConfig config_;
  const std::string id_;
  const std::chrono::system_clock::time_point started_;
  mutable std::mutex endpoints_mutex_;
  std::vector<Endpoint> endpoints_;  // guarded by endpoints_mutex_
  std::vector<Subscription> discovery_;
};

template <class Req, class Rep>
Result<void> Service::add_endpoint(EndpointConfig config, Handler<Req, Rep> handler) {
  return add_endpoint_raw(std::move(config), typed_handler(std::move(handler)));
}

}  // namespace aether::bus
