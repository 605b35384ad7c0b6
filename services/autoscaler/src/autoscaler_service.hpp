// start_autoscaler: what aether-autoscaler does inside libs/service's run():
// settings from the declared fields, NATS, the actuator, the controller, NATS
// micro discovery (service "autoscaler": $SRV.PING|INFO|STATS, metadata id
// and actuator) and /readyz's "role" (leader or follower).
// Threads: called once on run()'s thread; the parts it returns live until
// run() shuts down.
#pragma once

#include "aether/service/context.hpp"
#include "aether/service/service.hpp"
#include "autoscaler_config.hpp"

namespace aether::autoscaler {

[[nodiscard]] service::Result<service::Running> start_autoscaler(service::Context& ctx,
                                                                 const ConfigFields& fields,
                                                                 const std::string& version);

}  // namespace aether::autoscaler
