// aether-service-example: the smallest service on libs/service (and the subject of
// service_itest): answers requests on AETHER_EXAMPLE_SUBJECT with a greeting.
#include <spdlog/spdlog.h>

#include "aether/bus/serve.hpp"
#include "aether/service/context.hpp"
#include "aether/service/service.hpp"

using namespace aether;

int main(int argc, char** argv) {
  service::Service svc({.program = "aether-service-example",
                        .description = "answers requests with a greeting (libs/service example)",
                        .version = AETHER_VERSION,
                        .name = "service-example",
                        .admin_port = 9099});
  auto& subject = svc.spec().string("AETHER_EXAMPLE_SUBJECT", "aether.example.greet", "subject");
  auto& greeting = svc.spec().string("AETHER_EXAMPLE_GREETING", "hello", "reply prefix");
  svc.nats_url();
  return svc.run(argc, argv, [&](service::Context& ctx) -> service::Result<service::Running> {
    auto bus = ctx.connect_nats();
    if (!bus) return std::unexpected(bus.error());
    auto sub =
        bus::serve_raw(*bus, *subject, {},
                       [g = *greeting](std::string_view payload, const bus::RequestContext&)
                           -> bus::Result<std::string> { return g + ", " + std::string(payload); });
    if (!sub) return service::failure("serve " + *subject + ": " + sub.error().message);
    auto served = std::make_shared<bus::Subscription>(std::move(*sub));
    return service::Running{[served] {
      spdlog::info("service-example: unsubscribing");
      served->stop();
    }};
  });
}
