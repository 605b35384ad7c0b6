// aether-node-provisioner: wiring only (config, logging, tracing, bus, admin
// server, signals); the logic is in src/ (Provisioner, NodeAgent, NodeLabeler).
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "aether/bus/connection.hpp"
#include "aether/config/cli.hpp"
#include "aether/http/admin_options.hpp"
#include "aether/http/admin_server.hpp"
#include "aether/log/log.hpp"
#include "aether/trace/exporter.hpp"
#include "once.hpp"
#include "provisioner_config.hpp"

namespace cfg = aether::config;
using namespace aether;
using namespace aether::provisioner;

int main(int argc, char** argv) {
  cfg::Spec spec("aether-node-provisioner",
                 "checks this node for working KVM, installs the VM assets and labels the node");
  log::LogOptions log_options(spec);
  http::AdminOptions admin_options(spec, 9092);
  auto fields = declare_provisioner_config(spec);
  cfg::Cli cli(spec, AETHER_VERSION);
  bool once = false;
  std::string format = "text";
  cli.app().add_flag("--once", once,
                     "one round on this host, print the report, exit (see README for codes)");
  cli.app()
      .add_option("--report", format, "report format for --once")
      ->check(CLI::IsMember({"json", "text"}));
  if (auto exit_code = cli.parse(argc, argv)) return *exit_code;
  log::init(log_options.config());
  const auto env = process_env_getter();
  auto settings = build_settings(*fields, env, AETHER_VERSION);
  if (!settings) {
    std::cerr << settings.error().message << "\n";
    return cfg::kExitConfig;
  }
  auto& registry = http::default_registry();
  http::register_process_metrics(registry, "node-provisioner", AETHER_VERSION);
  Provisioner provisioner(settings->provisioner, registry);
  auto labeler = make_labeler_factory(*settings, env);

  if (once) {
    NodeAgent agent(provisioner, labeler, std::nullopt, registry, settings->agent);
    return run_once(agent, format, std::cout);
  }

  if (auto t = trace::init_from_env("node-provisioner"); !t) {
    std::cerr << t.error().message << "\n";
    return cfg::kExitConfig;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto bus = bus::Connection::connect(
      {.url = settings->nats_url, .name = "node-provisioner", .retry_on_failed_connect = true});
  if (!bus) {
    spdlog::error("NATS {}: {}", settings->nats_url, bus.error().message);
    return cfg::kExitFailure;
  }
  NodeAgent agent(provisioner, labeler, *bus, registry, settings->agent);
  http::AdminServer admin(admin_options.options(), registry);
  admin.add_readiness_check("node", [&]() -> http::CheckResult {
    if (auto why = agent.not_ready()) return std::unexpected(*why);
    return {};
  });
  auto port = admin.start();
  if (!port) {
    spdlog::error("admin server: {}", port.error().message);
    return cfg::kExitFailure;
  }
  if (auto s = agent.start(); !s) {
    spdlog::error("node-provisioner: {}", s.error().message);
    return cfg::kExitFailure;
  }
  spdlog::info("node-provisioner {}: admin on port {}", settings->provisioner.node, *port);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("node-provisioner: signal {}: stopping", sig);
  agent.stop();
  admin.stop();
  trace::shutdown(std::chrono::seconds(5));
  return cfg::kExitOk;
}
