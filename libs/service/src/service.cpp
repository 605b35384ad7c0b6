#include "aether/service/service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>

#include "aether/config/url.hpp"
#include "aether/http/admin_options.hpp"
#include "aether/http/admin_server.hpp"
#include "aether/log/log.hpp"
#include "aether/service/context.hpp"
#include "aether/trace/exporter.hpp"
#include "stop_signal.hpp"

namespace aether::service {
namespace {

enum class Phase { kStarting, kRunning, kStopping };

trace::EnvLookup trace_env(const config::EnvLookup& env) {
  return [&env](std::string_view name) -> std::optional<std::string> {
    auto v = env(std::string(name));
    if (v && v->empty()) return std::nullopt;
    return v;
  };
}

// Cli::parse() answers 0 for --help, --version and a valid --check-config alike.
bool asked_check_config(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h" || a == "--version") return false;
  }
  return std::ranges::find(args, "--check-config") != args.end();
}

// The exporter is process-wide: the run that installed it shuts it down last.
struct TracerGuard {
  bool owned = false;
  ~TracerGuard() {
    if (owned) trace::shutdown(std::chrono::seconds(5));
  }
};

}  // namespace

std::unexpected<Error> failure(std::string message) {
  return std::unexpected(Error{.exit_code = kExitFailure, .message = std::move(message)});
}

std::unexpected<Error> config_error(std::string message) {
  return std::unexpected(Error{.exit_code = kExitConfig, .message = std::move(message)});
}

Invocation Invocation::with_env(std::vector<std::string> args,
                                std::map<std::string, std::string> env) {
  Invocation inv;
  inv.args = std::move(args);
  std::vector<std::string> names;
  for (const auto& [k, v] : env) names.push_back(k);
  inv.env = config::map_env(std::move(env));
  inv.env_names = [names = std::move(names)] { return names; };
  return inv;
}

struct Service::Options {
  Options(config::Spec& spec, int admin_port) : log(spec) {
    if (admin_port != kNoAdmin) admin.emplace(spec, admin_port);
  }
  log::LogOptions log;
  std::optional<http::AdminOptions> admin;
  const config::StringField* nats_url = nullptr;
};

Service::Service(Info info, http::Registry& registry)
    : info_(std::move(info)),
      stop_(std::make_unique<StopSignal>()),
      registry_(registry),
      spec_(info_.program, info_.description),
      options_(std::make_unique<Options>(spec_, info_.admin_port)),
      cli_(spec_, info_.version) {
  if (info_.name.empty()) info_.name = info_.program;
}

Service::~Service() = default;

const config::StringField& Service::nats_url() {
  if (options_->nats_url != nullptr) return *options_->nats_url;
  if (const config::Field* f = spec_.find("NATS_URL")) {
    const auto* s = dynamic_cast<const config::StringField*>(f);
    if (s == nullptr) throw std::logic_error("NATS_URL is declared, but not as a string");
    options_->nats_url = s;
    return *s;
  }
  options_->nats_url =
      &spec_.string("NATS_URL", "nats://127.0.0.1:4222", "NATS server URL(s), comma-separated")
           .url_list({"nats", "tls", "ws", "wss"});
  return *options_->nats_url;
}

void Service::request_stop(int exit_code) { stop_->request(exit_code); }

int Service::run(int argc, const char* const* argv, const StartFn& start) {
  Invocation inv;
  for (int i = 1; i < argc; ++i) inv.args.emplace_back(argv[i]);
  return run(inv, start);
}

int Service::run(const Invocation& inv, const StartFn& start) {
  std::ostream& err = *inv.err;
  cli_.set_env_names(inv.env_names);
  if (auto code = cli_.parse(inv.args, inv.env, *inv.out, err)) {
    if (*code != kExitOk || !asked_check_config(inv.args)) return *code;
    // The exporter's OTEL_* variables are not Spec fields: validate and show them too.
    auto traced = trace::exporter_config_from_env(info_.name, trace_env(inv.env));
    if (!traced) {
      err << info_.program << ": invalid configuration: " << traced.error().message << "\n";
      return kExitConfig;
    }
    *inv.out << trace::describe(*traced);
    if (check_config_) {
      auto derived = check_config_();
      if (!derived) {
        err << info_.program << ": invalid configuration: " << derived.error() << "\n";
        return kExitConfig;
      }
      *inv.out << *derived;
    }
    return kExitOk;
  }

  if (inv.log_sink) {
    log::init(options_->log.config(), inv.log_sink);
  } else {
    log::init(options_->log.config());
  }
  if (info_.handle_signals && !stop_->block_signals()) {
    spdlog::error("{}: cannot block SIGTERM/SIGINT: {}", info_.name, std::strerror(errno));
    return kExitFailure;
  }

  TracerGuard tracer;
  auto traced = trace::exporter_config_from_env(info_.name, trace_env(inv.env));
  if (!traced) {
    err << info_.program << ": invalid configuration: " << traced.error().message << "\n";
    return kExitConfig;
  }
  if (auto t = trace::init(std::move(*traced)); t) {
    tracer.owned = true;
  } else if (t.error().code != trace::Errc::kAlreadyRunning) {
    err << info_.program << ": invalid configuration: " << t.error().message << "\n";
    return kExitConfig;
  }
  http::register_process_metrics(registry_, info_.name, info_.version);

  std::atomic<Phase> phase{Phase::kStarting};
  std::unique_ptr<http::AdminServer> admin;
  if (options_->admin) {
    admin = std::make_unique<http::AdminServer>(options_->admin->options(), registry_);
    admin->add_readiness_check("lifecycle", [&phase]() -> http::CheckResult {
      switch (phase.load()) {
        case Phase::kStarting:
          return std::unexpected("starting");
        case Phase::kStopping:
          return std::unexpected("stopping");
        case Phase::kRunning:
          break;
      }
      return {};
    });
    if (auto port = admin->start(); !port) {
      spdlog::error("{}: admin server: {}", info_.name, port.error().message);
      return kExitFailure;
    } else if (inv.on_admin_started) {
      inv.on_admin_started(*port);
    }
  }

  Context ctx(info_, inv.env, registry_, admin.get(), options_->nats_url, *stop_);
  auto release = [&] {
    if (admin) admin->stop();
    ctx.detach_admin();
    admin.reset();
    ctx.release_parts();
  };

  Result<Running> running = failure("start() did not return");
  try {
    running = start(ctx);
  } catch (const std::exception& e) {
    running = failure(std::string("start-up failed: ") + e.what());
  }
  if (!running) {
    const Error& e = running.error();
    if (e.exit_code == kExitConfig) {
      err << info_.program << ": invalid configuration: " << e.message << "\n";
    } else if (stop_->requested()) {
      spdlog::info("{}: {}", info_.name, e.message);  // told to stop during start()
    } else {
      spdlog::error("{}: {}", info_.name, e.message);
    }
    release();
    return e.exit_code;
  }

  phase = Phase::kRunning;
  if (inv.on_running) inv.on_running();
  // A one-shot run (stop requested inside start()) keeps its lifecycle out of the log.
  const auto level = stop_->requested() ? spdlog::level::debug : spdlog::level::info;
  if (admin) {
    spdlog::log(level, "{} {}: started, admin on port {}", info_.name, info_.version,
                admin->port());
  } else {
    spdlog::log(level, "{} {}: started", info_.name, info_.version);
  }
  const StopSignal::Stop stop = stop_->wait();
  if (stop.signal != 0) {
    spdlog::log(level, "{}: SIG{}: stopping", info_.name, sigabbrev_np(stop.signal));
  } else {
    spdlog::log(level, "{}: stop requested (exit code {}): stopping", info_.name, stop.exit_code);
  }
  phase = Phase::kStopping;
  int exit_code = stop.exit_code;
  if (running->stop) {
    try {
      running->stop();
    } catch (const std::exception& e) {
      spdlog::error("{}: stopping failed: {}", info_.name, e.what());
      if (exit_code == kExitOk) exit_code = kExitFailure;
    }
  }
  if (admin) admin->stop();
  *running = Running{};  // the parts go, while NATS is still connected
  release();
  spdlog::log(level, "{}: stopped", info_.name);
  return exit_code;
}

}  // namespace aether::service
