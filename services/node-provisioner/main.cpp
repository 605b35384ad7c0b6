// aether-node-provisioner: wiring only. libs/service does the start-up
// (config, logging, tracing, signals, admin server, NATS, ordered shutdown);
// the logic is in src/ (Provisioner, NodeAgent, NodeLabeler). `--once` is a
// one-shot round: no admin server, signals keep their default action, the
// report's exit code is the process's.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

#include "aether/service/context.hpp"
#include "aether/service/service.hpp"
#include "once.hpp"
#include "provisioner_config.hpp"

using namespace aether;
using namespace aether::provisioner;

int main(int argc, char** argv) {
  const bool once_mode = std::any_of(argv + 1, argv + argc,
                                     [](const char* a) { return std::string_view(a) == "--once"; });
  service::Service svc(
      {.program = "aether-node-provisioner",
       .description =
           "checks this node for working KVM, installs the VM assets and labels the node",
       .version = AETHER_VERSION,
       .name = "node-provisioner",
       .admin_port = once_mode ? service::kNoAdmin : 9092,
       .handle_signals = !once_mode});
  auto fields = declare_provisioner_config(svc.spec());
  bool once = false;
  std::string format = "text";
  svc.cli().app().add_flag("--once", once,
                           "one round on this host, print the report, exit (see README for codes)");
  svc.cli()
      .app()
      .add_option("--report", format, "report format for --once")
      ->check(CLI::IsMember({"json", "text"}));
  return svc.run(argc, argv, [&](service::Context& ctx) -> service::Result<service::Running> {
    const EnvGetter env = [&lookup = ctx.env()](const std::string& name) { return lookup(name); };
    auto settings = build_settings(*fields, env, AETHER_VERSION);
    if (!settings) return service::config_error(settings.error().message);
    auto provisioner = std::make_shared<Provisioner>(settings->provisioner, ctx.registry());
    auto labeler = make_labeler_factory(*settings, env);
    if (once) {
      // With NATS_URL set, the round is published as in DaemonSet mode (one
      // connection attempt: an unreachable server is exit 1, named).
      std::optional<bus::Connection> bus;
      if (settings->nats_configured) {
        auto connected = ctx.connect_nats({.url = settings->nats_url,
                                           .name = "node-provisioner",
                                           .retry_on_failed_connect = false});
        if (!connected) return std::unexpected(connected.error());
        bus = std::move(*connected);
      }
      NodeAgent agent(*provisioner, labeler, std::move(bus), ctx.registry(), settings->agent);
      ctx.request_stop(run_once(agent, format, std::cout));
      return service::Running{};
    }
    auto bus = ctx.connect_nats(
        {.url = settings->nats_url, .name = "node-provisioner", .retry_on_failed_connect = true});
    if (!bus) return std::unexpected(bus.error());
    ctx.keep(provisioner);  // released after the agent (the service's part) is gone
    auto agent =
        std::make_shared<NodeAgent>(*provisioner, labeler, *bus, ctx.registry(), settings->agent);
    ctx.add_readiness_check("node", [agent]() -> http::CheckResult {
      if (auto why = agent->not_ready()) return std::unexpected(*why);
      return {};
    });
    if (auto s = agent->start(); !s)
      return service::failure("node-provisioner: " + s.error().message);
    spdlog::info("node-provisioner {}: admin on port {}", settings->provisioner.node,
                 ctx.admin_port());
    return service::Running{[agent] { agent->stop(); }};
  });
}
