// Service: the start-up and shutdown every Aether binary shares, done once.
//
//   int main(int argc, char** argv) {
//     aether::service::Service svc({.program = "aether-autoscaler",
//                                   .description = "adds and drains worker nodes",
//                                   .version = AETHER_VERSION,
//                                   .name = "autoscaler",
//                                   .admin_port = 9093});
//     auto fields = autoscaler::declare_config(svc.spec());  // the service's own variables
//     svc.nats_url();                                        // NATS_URL, for connect_nats()
//     return svc.run(argc, argv, [&](aether::service::Context& ctx)
//                                    -> aether::service::Result<aether::service::Running> {
//       auto config = autoscaler::build_config(*fields);
//       if (!config) return aether::service::config_error(config.error().message);
//       auto bus = ctx.connect_nats();
//       if (!bus) return std::unexpected(bus.error());
//       auto scaler = std::make_shared<autoscaler::Autoscaler>(*config, *bus, ctx.registry());
//       if (auto s = scaler->start(); !s) return aether::service::failure(s.error().message);
//       return aether::service::Running{[scaler] { scaler->shutdown(); }};
//     });
//   }
//
// run() does, in order: parse the command line over the environment (libs/config Cli:
// --help, --version, --check-config, which also validates OTEL_*); install logging
// (AETHER_LOG_FORMAT / AETHER_LOG_LEVEL); block SIGTERM and SIGINT in the calling thread
// before any thread starts, so every thread inherits the block and the signal is only
// ever received by run(); start tracing (OTEL_*); register the process metrics; start
// the admin server (AETHER_ADMIN_ADDR / AETHER_ADMIN_PORT: /healthz at once, /readyz
// with a "lifecycle" check that says "starting" until start() returned and "stopping"
// from the signal on); call start(); wait for SIGTERM/SIGINT or Context::request_stop();
// then shut down in order: the service's Running::stop (its own drain), the admin
// server, the service's parts (Running is destroyed), Context-owned parts and NATS
// connections, and last the trace exporter (flushing spans, 5 s at most).
//
// Exit codes are libs/config's: 0 after a signal (or request_stop(0)), 1 a run-time
// failure (failure(), admin bind), 2 usage, 3 invalid configuration (a Spec problem,
// a bad OTEL_* value, or config_error() from start()). Errors of start() are printed:
// configuration errors as a plain line on stderr (for a person fixing the config),
// failures through the log.
//
// Lifecycle/threads: construct and declare fields on the main thread, call run() once,
// from the main thread, before the process starts any thread. The calling thread keeps
// SIGTERM/SIGINT blocked after run() returns. start() runs on the calling thread.
#pragma once

#include <spdlog/common.h>

#include <expected>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "aether/config/cli.hpp"
#include "aether/config/config.hpp"
#include "aether/http/metrics.hpp"

namespace aether::service {

using config::kExitConfig;
using config::kExitFailure;
using config::kExitOk;
using config::kExitUsage;

// admin_port value for binaries without an admin server (one-shot commands, Jobs).
inline constexpr int kNoAdmin = -1;

struct Info {
  std::string program;      // binary name, e.g. "aether-vm-worker": --help, logs' "service"
  std::string description;  // one line for --help
  std::string version;      // AETHER_VERSION
  std::string name;         // short name, e.g. "vm-worker": span service name (unless
                            // OTEL_SERVICE_NAME), NATS connection name; empty: program
  int admin_port = 9090;    // AETHER_ADMIN_PORT's default; kNoAdmin: no admin server
  // false: SIGTERM/SIGINT keep their default action (the process dies at once), for
  // one-shot commands that are safe to interrupt and finish through request_stop().
  bool handle_signals = true;
};

// Why start() (or a helper) failed: the process exits with exit_code.
struct Error {
  int exit_code = kExitFailure;
  std::string message;
};
template <class T>
using Result = std::expected<T, Error>;

// exit 1: a run-time failure (a dependency, a bind, a start() that failed).
[[nodiscard]] std::unexpected<Error> failure(std::string message);
// exit 3: a configuration the Spec's rules could not see (cross-field, files, users).
[[nodiscard]] std::unexpected<Error> config_error(std::string message);

// What start() hands back: how to stop the service's own parts. `stop` runs once, on
// run()'s thread, while the admin server still answers (/readyz says "stopping");
// it should drain (finish in-flight work) and return. What it captures (shared_ptr
// to the parts) is destroyed after the admin server stopped. Empty: nothing to stop.
struct Running {
  std::function<void()> stop;
};

class Context;
class StopSignal;
using StartFn = std::function<Result<Running>(Context&)>;

// One run's outside world. The default is the process's; tests inject their own.
struct Invocation {
  std::vector<std::string> args;  // without the program name
  config::EnvLookup env = config::process_env();
  // Names of the set variables, for --check-config's "set but not read" warnings.
  std::function<std::vector<std::string>()> env_names = config::process_env_names;
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;
  spdlog::sink_ptr log_sink;  // null: log to stderr
  // Called on run()'s thread once the admin server listens (signals are blocked by
  // then), before start(): TestRun learns the port here.
  std::function<void(int admin_port)> on_admin_started;
  // Called on run()'s thread once start() returned and /readyz's lifecycle check
  // says running: TestRun's wait_started() returns then.
  std::function<void()> on_running;

  // An invocation whose environment is exactly `env` (for tests and tools).
  [[nodiscard]] static Invocation with_env(std::vector<std::string> args,
                                           std::map<std::string, std::string> env);
};

class Service {
 public:
  // `registry` is the one /metrics serves (libraries register into the default one).
  explicit Service(Info info, http::Registry& registry = http::default_registry());
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  [[nodiscard]] const Info& info() const { return info_; }
  // Declare the service's own variables here before run().
  [[nodiscard]] config::Spec& spec() { return spec_; }
  // The command line, to add subcommands and flags (cli().app()) before run().
  [[nodiscard]] config::Cli& cli() { return cli_; }
  // --check-config, after the effective configuration and OTEL_*: `check`
  // validates what the Spec's rules cannot see and returns more lines to
  // print (values derived from others or from the machine, e.g. a capacity
  // of 0 meaning "from the node"); an error is exit 3 with its message.
  using CheckConfigFn = std::function<std::expected<std::string, std::string>()>;
  void on_check_config(CheckConfigFn check) { check_config_ = std::move(check); }
  // NATS_URL (default nats://127.0.0.1:4222), the URL Context::connect_nats() uses.
  // Declares it unless the service's own fields already did; idempotent.
  const config::StringField& nats_url();

  // The process: argv, the process environment, std::cout/std::cerr. Returns main's code.
  [[nodiscard]] int run(int argc, const char* const* argv, const StartFn& start);
  // In-process (tests, tools that wrap a run): see Invocation.
  [[nodiscard]] int run(const Invocation& invocation, const StartFn& start);

  // As Context::request_stop(): from any thread; before run() it makes run() stop
  // right after start().
  void request_stop(int exit_code = kExitOk);

 private:
  struct Options;  // the admin and log fields, declared in the constructor

  Info info_;
  std::unique_ptr<StopSignal> stop_;
  http::Registry& registry_;
  config::Spec spec_;
  std::unique_ptr<Options> options_;
  config::Cli cli_;
  CheckConfigFn check_config_;
};

}  // namespace aether::service
