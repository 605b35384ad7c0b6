// The micro Service object: discovery subscriptions and counted endpoints.
#include <random>

#include "aether/bus/micro.hpp"

namespace aether::bus {
namespace {

// 22 base62 characters (~131 bits), like a NUID: unique per instance.
std::string new_instance_id() {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::random_device rd;
  std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  std::uniform_int_distribution<int> pick(0, 61);
  std::string id(22, '0');
  for (auto& c : id) c = kAlphabet[pick(gen)];
  return id;
}

}  // namespace

Service::Service(Connection connection, ServiceConfig config)
    : connection_(std::move(connection)),
      config_(std::move(config)),
      id_(new_instance_id()),
      started_(std::chrono::system_clock::now()) {}

Service::~Service() {
  // Stop answering discovery first, then the endpoints.
  discovery_.clear();
  std::vector<Endpoint> endpoints;
  {
    std::lock_guard lock(endpoints_mutex_);
    endpoints.swap(endpoints_);
  }
  endpoints.clear();  // waits for running handlers, outside the lock
}

Result<std::unique_ptr<Service>> Service::start(Connection& connection, ServiceConfig config) {
  if (auto v = validate_service_config(config); !v) return std::unexpected(v.error());
  std::unique_ptr<Service> service(new Service(connection, std::move(config)));
  if (auto r = service->subscribe_discovery(); !r) return std::unexpected(r.error());
  return service;
}

Result<void> Service::subscribe_discovery() {
  struct Verb {
    const char* name;
    nlohmann::json (*render)(const ServiceInfo&);
  };
  static constexpr Verb kVerbs[] = {
      {"PING", micro_ping_json}, {"INFO", micro_info_json}, {"STATS", micro_stats_json}};
  for (const auto& verb : kVerbs) {
    const std::string base = std::string("$SRV.") + verb.name;
    for (const std::string& subject :
         {base, base + "." + config_.name, base + "." + config_.name + "." + id_}) {
      ServeOptions options;
      options.plain = true;
      auto render = verb.render;
      auto sub =
          serve_raw(connection_, subject, std::move(options),
                    [this, render](std::string_view, const RequestContext&) -> Result<std::string> {
                      return render(info()).dump();
                    });
      if (!sub) return std::unexpected(sub.error());
      discovery_.push_back(std::move(*sub));
    }
  }
  return {};
}

Result<void> Service::add_endpoint_raw(EndpointConfig config, RawHandler handler) {
  if (auto v = validate_endpoint_config(config); !v) return std::unexpected(v.error());
  auto stats = std::make_shared<EndpointStats>();
  ServeOptions options;
  options.queue_group = config.queue_group;
  options.service = config_.name;
  options.operation = config.operation.empty() ? config.name : config.operation;
  options.stats = stats;
  auto sub = serve_raw(connection_, config.subject, std::move(options), std::move(handler));
  if (!sub) return std::unexpected(sub.error());
  std::lock_guard lock(endpoints_mutex_);
  endpoints_.push_back(Endpoint{std::move(config), std::move(stats), std::move(*sub)});
  return {};
}

ServiceInfo Service::info() const {
  ServiceInfo out{config_, id_, started_, {}};
  std::lock_guard lock(endpoints_mutex_);
  for (const auto& e : endpoints_) out.endpoints.push_back({e.config, e.stats->snapshot()});
  return out;
}

}  // namespace aether::bus
