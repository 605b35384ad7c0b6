#include "autoscaler_service.hpp"

#include <spdlog/spdlog.h>

#include "aether/bus/micro.hpp"

namespace aether::autoscaler {

service::Result<service::Running> start_autoscaler(service::Context& ctx,
                                                   const ConfigFields& fields,
                                                   const std::string& version) {
  auto settings = build_settings(fields, ctx.env());
  if (!settings) return service::config_error(settings.error().message);
  auto bus = ctx.connect_nats(
      {.url = settings->nats_url, .name = "autoscaler", .retry_on_failed_connect = true});
  if (!bus) return std::unexpected(bus.error());
  // The actuator asks the controller how many workers it sees (the local one
  // counts its processes against it); the controller is made after it.
  auto self = std::make_shared<std::weak_ptr<Autoscaler>>();
  auto actuator = make_actuator(*settings, [self] {
    const auto scaler = self->lock();
    return scaler ? scaler->observed_workers() : 0;
  });
  if (!actuator) return service::config_error(actuator.error().message);
  auto scaler = std::make_shared<Autoscaler>(settings->autoscaler, *bus, std::move(*actuator),
                                             ctx.registry());
  *self = scaler;
  ctx.add_readiness_info("role", [scaler] { return scaler->role(); });
  if (auto s = scaler->start(); !s) return service::failure("autoscaler: " + s.error().message);
  auto micro = bus::Service::start(
      *bus, {.name = "autoscaler",
             .version = version,
             .description = "adds and removes vm-worker capacity from the create backlog",
             .metadata = {{"id", settings->autoscaler.id}, {"actuator", settings->actuator}}});
  if (!micro) {
    scaler->stop(true);
    return service::failure("NATS micro service: " + micro.error().message);
  }
  std::shared_ptr<bus::Service> discovery = std::move(*micro);
  spdlog::info("autoscaler {}: actuator {}, admin on port {}", settings->autoscaler.id,
               settings->actuator, ctx.admin_port());
  // The micro service goes before the controller (a stopped replica is not listed).
  return service::Running{[scaler, discovery]() mutable {
    discovery.reset();
    scaler->stop(true);
  }};
}

}  // namespace aether::autoscaler
