// aether-vm-worker: wiring only. libs/service does the start-up (config, logging,
// tracing, signals, admin server, NATS, ordered shutdown); the logic is in src/.
#include "aether/service/context.hpp"
#include "aether/service/service.hpp"
#include "aether/vmm/runtime_config.hpp"
#include "worker.hpp"
#include "worker_config.hpp"
#include "worker_startup.hpp"

using namespace aether;

int main(int argc, char** argv) {
  service::Service svc(
      {.program = "aether-vm-worker",
       .description = "boots microVMs for CreateVm commands and runs commands in them",
       .version = AETHER_VERSION,
       .name = "vm-worker",
       .admin_port = 9090});
  auto fields = worker::declare_worker_config(svc.spec());  // NATS_URL and AETHER_*
  vmm::RuntimeConfigFields runtime_fields(svc.spec());      // AETHER_RUNTIME, AETHER_QEMU_*, ...
  svc.on_check_config([&]() -> std::expected<std::string, std::string> {
    auto config = worker::build_worker_config(*fields, AETHER_VERSION);  // capacity derived
    if (!config) return std::unexpected(config.error().message);
    return worker::describe_effective(*config);
  });
  return svc.run(argc, argv, [&](service::Context& ctx) -> service::Result<service::Running> {
    auto config = worker::build_worker_config(*fields, AETHER_VERSION);
    if (!config) return service::config_error(config.error().message);
    auto options = worker::worker_runtime_options(runtime_fields.options(), *config);
    if (!options) return service::config_error(options.error().message);
    auto runtime = vmm::make_runtime(*options);
    if (!runtime) return service::failure("runtime: " + runtime.error().message);
    auto bus = ctx.connect_nats(
        {.url = config->nats_url, .name = "vm-worker", .retry_on_failed_connect = true});
    if (!bus) return std::unexpected(bus.error());
    auto worker =
        std::make_shared<worker::Worker>(*config, *bus, std::move(*runtime), ctx.registry());
    for (auto& [name, check] : worker::worker_readiness_checks(worker)) {
      ctx.add_readiness_check(name, std::move(check));
    }
    if (auto s = worker->start(); !s) return service::failure(s.error().message);
    return service::Running{[worker] { worker->shutdown(); }};
  });
}
