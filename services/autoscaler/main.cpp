// aether-autoscaler: wiring only (config, logging, tracing, bus, actuator,
// admin server, signals); the logic is in src/ (Autoscaler).
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "aether/bus/connection.hpp"
#include "aether/config/cli.hpp"
#include "aether/http/admin_options.hpp"
#include "aether/http/admin_server.hpp"
#include "aether/log/log.hpp"
#include "aether/trace/exporter.hpp"
#include "autoscaler.hpp"
#include "autoscaler_config.hpp"

namespace cfg = aether::config;
using namespace aether;

int main(int argc, char** argv) {
  cfg::Spec spec("aether-autoscaler",
                 "adds and removes vm-worker capacity from the create backlog and worker load");
  log::LogOptions log_options(spec);
  http::AdminOptions admin_options(spec, 9093);
  auto fields = autoscaler::declare_config(spec);
  cfg::Cli cli(spec, AETHER_VERSION);
  if (auto exit_code = cli.parse(argc, argv)) return *exit_code;
  log::init(log_options.config());
  auto settings = autoscaler::build_settings(*fields, cfg::process_env());
  if (!settings) {
    std::cerr << settings.error().message << "\n";
    return cfg::kExitConfig;
  }
  if (auto t = trace::init_from_env("autoscaler"); !t) {
    std::cerr << t.error().message << "\n";
    return cfg::kExitConfig;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto bus = bus::Connection::connect(
      {.url = settings->nats_url, .name = "autoscaler", .retry_on_failed_connect = true});
  if (!bus) {
    spdlog::error("NATS {}: {}", settings->nats_url, bus.error().message);
    return cfg::kExitFailure;
  }
  autoscaler::Autoscaler* self = nullptr;
  auto actuator = autoscaler::make_actuator(*settings, [&] { return self->observed_workers(); });
  if (!actuator) {
    std::cerr << actuator.error().message << "\n";
    return cfg::kExitConfig;
  }
  auto& registry = http::default_registry();
  http::register_process_metrics(registry, "autoscaler", AETHER_VERSION);
  autoscaler::Autoscaler scaler(settings->autoscaler, *bus, std::move(*actuator), registry);
  self = &scaler;
  http::AdminServer admin(admin_options.options(), registry);
  admin.add_readiness_check("nats", [&]() -> http::CheckResult {
    if (!bus->connected()) return std::unexpected("not connected to " + settings->nats_url);
    return {};
  });
  auto port = admin.start();
  if (!port) {
    spdlog::error("admin server: {}", port.error().message);
    return cfg::kExitFailure;
  }
  if (auto s = scaler.start(); !s) {
    spdlog::error("autoscaler: {}", s.error().message);
    return cfg::kExitFailure;
  }
  spdlog::info("autoscaler {}: actuator {}, admin on port {}", settings->autoscaler.id,
               settings->actuator, *port);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("autoscaler: signal {}: stopping", sig);
  scaler.stop(true);
  admin.stop();
  trace::shutdown(std::chrono::seconds(5));
  return cfg::kExitOk;
}
