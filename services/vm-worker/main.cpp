// aether-vm-worker: wiring only (config, logging, tracing, bus, runtime,
// admin server, signals); the logic is in src/ (Worker).
#include <pwd.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <iostream>

#include "aether/bus/connection.hpp"
#include "aether/config/cli.hpp"
#include "aether/http/admin_options.hpp"
#include "aether/http/admin_server.hpp"
#include "aether/log/log.hpp"
#include "aether/trace/exporter.hpp"
#include "aether/vmm/runtime.hpp"
#include "worker.hpp"
#include "worker_config.hpp"

namespace cfg = aether::config;
using namespace aether;

int main(int argc, char** argv) {
  cfg::Spec spec("aether-vm-worker",
                 "boots microVMs for CreateVm commands and runs commands in them");
  log::LogOptions log_options(spec);
  http::AdminOptions admin_options(spec, 9090);  // AETHER_ADMIN_ADDR, AETHER_ADMIN_PORT
  auto fields = worker::declare_worker_config(spec);
  // Read by vmm::runtime_options_from_env(); declared here so --help lists
  // them and --check-config validates them.
  spec.choice("AETHER_RUNTIME", "auto", {"auto", "firecracker", "qemu"},
              "hypervisor: auto probes KVM and picks");
  spec.choice("AETHER_QEMU_ACCEL", "auto", {"auto", "kvm", "tcg"},
              "QEMU acceleration (auto: KVM when the probe boots the guest)");
  spec.string("AETHER_QEMU_BINARY", "qemu-system-x86_64", "QEMU binary").non_empty();
  spec.string("AETHER_QEMU_CPU", "", "QEMU -cpu model under KVM (empty: QEMU's default)");
  spec.string("AETHER_VMM_USER", "",
              "user the VMM drops to after start-up (empty: nobody when run as root; "
              "root: keep root)");
  spec.string("AETHER_FIRECRACKER_BINARY", "firecracker", "Firecracker binary").non_empty();

  cfg::Cli cli(spec, AETHER_VERSION);
  if (auto exit_code = cli.parse(argc, argv)) return *exit_code;
  log::init(log_options.config());
  auto config = worker::build_worker_config(*fields, AETHER_VERSION);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return cfg::kExitConfig;
  }
  if (auto t = trace::init_from_env("vm-worker"); !t) {
    std::cerr << t.error().message << "\n";
    return cfg::kExitConfig;
  }

  // Block the stop signals before any thread starts, then wait for them here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto runtime_options = vmm::runtime_options_from_env();
  if (!runtime_options) {
    std::cerr << runtime_options.error().message << "\n";
    return cfg::kExitConfig;
  }
  vmm::RuntimeOptions& ro = *runtime_options;
  // The VMM opens its TAP; when it runs as another user, that user owns them.
  if (!ro.qemu.run_as.empty()) {
    const passwd* user = ::getpwnam(ro.qemu.run_as.c_str());
    if (user == nullptr) {
      std::cerr << "AETHER_VMM_USER: no such user '" << ro.qemu.run_as << "'\n";
      return cfg::kExitConfig;
    }
    config->network.tap_owner = user->pw_uid;
  }
  const auto& def = config->templates.at("default");
  ro.probe = vmm::KvmProbeOptions{.kernel = def.kernel,
                                  .initrd = def.initrd,
                                  .cache_dir = config->state_dir / "probe-cache",
                                  .work_dir = config->state_dir / "probe"};
  auto runtime = vmm::make_runtime(ro);
  if (!runtime) {
    spdlog::error("runtime: {}", runtime.error().message);
    return cfg::kExitFailure;
  }
  std::shared_ptr<vmm::Runtime> shared_runtime = std::move(*runtime);

  auto bus = bus::Connection::connect(
      {.url = config->nats_url, .name = "vm-worker", .retry_on_failed_connect = true});
  if (!bus) {
    spdlog::error("NATS {}: {}", config->nats_url, bus.error().message);
    return cfg::kExitFailure;
  }

  auto& registry = http::default_registry();
  worker::Worker w(*config, *bus, shared_runtime, registry);
  http::AdminServer admin(admin_options.options(), registry);
  admin.add_readiness_check("nats", [&]() -> http::CheckResult {
    if (!bus->connected()) return std::unexpected("not connected to " + config->nats_url);
    return {};
  });
  admin.add_readiness_check("worker", [&]() -> http::CheckResult {
    if (w.draining()) return std::unexpected("draining");
    if (!w.ready()) return std::unexpected("not started");
    return {};
  });
  admin.add_readiness_check("runtime", [&]() -> http::CheckResult {
    if (auto fault = w.runtime_fault()) return std::unexpected("cannot boot VMs: " + *fault);
    return {};
  });
  admin.add_readiness_check("guest-image", [&]() -> http::CheckResult {
    for (const auto& [name, t] : config->templates) {
      std::error_code ec;
      if (!std::filesystem::exists(t.kernel, ec) || !std::filesystem::exists(t.initrd, ec)) {
        return std::unexpected("template " + name + ": " + t.kernel.string() + " or " +
                               t.initrd.string() + " is missing");
      }
    }
    return {};
  });
  auto port = admin.start();
  if (!port) {
    spdlog::error("admin server: {}", port.error().message);
    return cfg::kExitFailure;
  }
  if (auto s = w.start(); !s) {
    spdlog::error("vm-worker: {}", s.error().message);
    return cfg::kExitFailure;
  }
  spdlog::info("vm-worker {}: admin on port {}", config->worker_id, *port);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("vm-worker: signal {}: draining", sig);
  w.shutdown();
  admin.stop();
  trace::shutdown(std::chrono::seconds(5));
  return cfg::kExitOk;
}
