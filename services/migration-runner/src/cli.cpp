#include "cli.hpp"

#include <spdlog/spdlog.h>

#include "aether/config/cli.hpp"
#include "aether/log/log.hpp"
#include "aether/trace/exporter.hpp"
#include "output.hpp"
#include "runner.hpp"

#ifndef AETHER_VERSION
#define AETHER_VERSION "0.0.0-dev"
#endif

namespace aether::migrate {
namespace {

constexpr const char* kProgram = "aether-migration-runner";

int fail(const CliIo& io, const Error& e) {
  io.err << kProgram << ": error: " << e.message << "\n";
  return exit_code(e.code);
}

// Flags that override their AETHER_MIGRATE_* variable.
struct Flags {
  std::string dir, lock_timeout, statement_timeout, pg_lock_timeout;
  std::optional<std::int64_t> up_to, plan_to;
  bool json = false;
};

Result<void> apply_flags(const Flags& flags, Config& config) {
  if (!flags.dir.empty()) config.dir = flags.dir;
  struct DurationFlag {
    const char* name;
    const std::string& value;
    std::chrono::milliseconds* target;
  };
  for (const DurationFlag& f :
       {DurationFlag{"--lock-timeout", flags.lock_timeout, &config.lock_timeout},
        DurationFlag{"--statement-timeout", flags.statement_timeout, &config.statement_timeout},
        DurationFlag{"--pg-lock-timeout", flags.pg_lock_timeout, &config.pg_lock_timeout}}) {
    if (f.value.empty()) continue;
    auto parsed = parse_duration(f.name, f.value);
    if (!parsed) return std::unexpected(parsed.error());
    *f.target = *parsed;
  }
  return {};
}

Result<void> init_tracing(const config::EnvLookup& env) {
  auto trace_env = [&env](std::string_view name) -> std::optional<std::string> {
    auto v = env(std::string(name));
    if (v && v->empty()) return std::nullopt;
    return v;
  };
  auto cfg = trace::exporter_config_from_env(kProgram, trace_env);
  if (!cfg) return make_error(Errc::kInvalidConfig, cfg.error().message);
  if (auto r = trace::init(std::move(*cfg)); !r && r.error().code != trace::Errc::kAlreadyRunning) {
    return make_error(Errc::kInvalidConfig, r.error().message);
  }
  return {};
}

}  // namespace

int run_cli(const std::vector<std::string>& args, const config::EnvLookup& env, const CliIo& io,
            const PublisherFactory& publisher_factory) {
  config::Spec spec(kProgram,
                    "Applies Aether's PostgreSQL schema migrations (compiled into this binary) "
                    "under an advisory lock, one transaction per migration.");
  ConfigFields fields(spec);
  log::LogOptions log_options(spec);
  config::Cli cli(spec, AETHER_VERSION);
  CLI::App& app = cli.app();
  Flags flags;
  app.add_option("--dir", flags.dir,
                 "Read migrations from this directory instead of the embedded set");
  app.add_option("--lock-timeout", flags.lock_timeout,
                 "Wait this long for another runner's advisory lock (default 60s)");
  app.add_option("--statement-timeout", flags.statement_timeout,
                 "statement_timeout for migration SQL (default 10m, 0: none)");
  app.add_option("--pg-lock-timeout", flags.pg_lock_timeout,
                 "lock_timeout for migration SQL waiting on table locks (default 10s)");
  auto* up = app.add_subcommand("up", "Apply pending migrations (to the latest or --to N)");
  up->add_option("--to", flags.up_to, "Stop after this version");
  auto* status = app.add_subcommand("status", "List applied and pending migrations");
  status->add_flag("--json", flags.json, "Print JSON instead of a table");
  auto* verify = app.add_subcommand(
      "verify",
      "Exit 9 when an applied migration was edited or is missing, or history is out "
      "of order");
  auto* plan = app.add_subcommand("plan", "Print what `up` would apply, without applying it");
  plan->add_option("--to", flags.plan_to, "Stop after this version");

  if (auto code = cli.parse(args, env, io.out, io.err)) return *code;
  log::init(log_options.config());
  Config config = fields.config();
  if (auto r = apply_flags(flags, config); !r) return fail(io, r.error());
  if (app.get_subcommands().empty()) {
    return fail(io, Error{Errc::kBadConfig,
                          "no command given: one of up, status, verify, plan (see --help)"});
  }
  auto migrations =
      config.dir.empty() ? load_embedded_migrations() : load_migrations_from_dir(config.dir);
  if (!migrations) return fail(io, migrations.error());
  if (auto r = init_tracing(env); !r) return fail(io, r.error());

  RunnerOptions options;
  options.database_url = config.database_url;
  options.applied_by = config.applied_by;
  options.application_name = std::string(kProgram) + "@" + config.applied_by;
  options.lock_wait = config.lock_timeout;
  options.connect_timeout =
      std::chrono::duration_cast<std::chrono::seconds>(config.connect_timeout);
  options.sql_timeouts = {config.pg_lock_timeout, config.statement_timeout};

  std::unique_ptr<EventPublisher> publisher;
  if (up->parsed() && config.publish && publisher_factory) publisher = publisher_factory(config);
  if (up->parsed() && config.publish && !publisher) {
    spdlog::warn("no event publisher in this build: {} will not be sent", kSchemaMigratedSubject);
  }
  Runner runner(std::move(options), std::move(*migrations), publisher.get());

  int code = 0;
  if (up->parsed()) {
    auto outcome = runner.up(flags.up_to);
    if (!outcome) {
      code = fail(io, outcome.error());
    } else {
      print_up(io.out, *outcome);
      if (outcome->migration_error) {
        code = fail(io, *outcome->migration_error);
      } else if (outcome->publish_error) {
        code = fail(io, Error{Errc::kPublishFailed,
                              "schema migrated to version " + std::to_string(outcome->to_version) +
                                  " but " + kSchemaMigratedSubject +
                                  " was not published: " + outcome->publish_error->message});
      }
    }
  } else if (status->parsed()) {
    auto report = runner.status();
    if (!report) return fail(io, report.error());
    if (flags.json) {
      print_status_json(io.out, *report);
    } else {
      print_status_table(io.out, *report);
    }
  } else if (verify->parsed()) {
    auto report = runner.verify();
    if (!report) return fail(io, report.error());
    io.out << "ok: " << report->rows.size() - report->pending()
           << " applied migrations match their files; " << report->pending() << " pending\n";
  } else {
    auto planned = runner.plan(flags.plan_to);
    if (!planned) return fail(io, planned.error());
    print_plan(io.out, *planned);
  }
  trace::shutdown(std::chrono::seconds(2));
  return code;
}

}  // namespace aether::migrate
