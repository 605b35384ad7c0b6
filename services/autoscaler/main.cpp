// aether-autoscaler: wiring only. libs/service does the start-up (config,
// logging, tracing, signals, admin server, NATS, ordered shutdown);
// start_autoscaler (src/autoscaler_service.cpp) the service's own parts.
#include "aether/service/service.hpp"
#include "autoscaler_config.hpp"
#include "autoscaler_service.hpp"

using namespace aether;

int main(int argc, char** argv) {
  service::Service svc(
      {.program = "aether-autoscaler",
       .description = "adds and removes vm-worker capacity from the create backlog and worker load",
       .version = AETHER_VERSION,
       .name = "autoscaler",
       .admin_port = 9093});
  auto fields = autoscaler::declare_config(svc.spec());  // NATS_URL and AETHER_AUTOSCALER_*
  return svc.run(argc, argv, [&](service::Context& ctx) {
    return autoscaler::start_autoscaler(ctx, *fields, AETHER_VERSION);
  });
}
