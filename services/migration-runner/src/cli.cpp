#include "cli.hpp"

#include <spdlog/spdlog.h>

#include "aether/service/context.hpp"
#include "aether/service/service.hpp"
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

// One command, after libs/service's start-up (configuration, logging, tracing).
int run_command(const Flags& flags, const ConfigFields& fields, const CliIo& io,
                const PublisherFactory& publisher_factory, const CLI::App& app) {
  Config config = fields.config();
  if (auto r = apply_flags(flags, config); !r) return fail(io, r.error());
  if (app.get_subcommands().empty()) {
    return fail(io, Error{Errc::kBadConfig,
                          "no command given: one of up, status, verify, plan (see --help)"});
  }
  const CLI::App* up = app.get_subcommand("up");
  const CLI::App* status = app.get_subcommand("status");
  const CLI::App* verify = app.get_subcommand("verify");
  auto migrations =
      config.dir.empty() ? load_embedded_migrations() : load_migrations_from_dir(config.dir);
  if (!migrations) return fail(io, migrations.error());

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
  return code;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, const config::EnvLookup& env, const CliIo& io,
            const PublisherFactory& publisher_factory) {
  // A Job: no admin server, and SIGTERM keeps its default action (an interrupted
  // migration's transaction rolls back on the server; the advisory lock goes with it).
  service::Service svc({.program = kProgram,
                        .description = "Applies Aether's PostgreSQL schema migrations (compiled "
                                       "into this binary) under an advisory lock, one "
                                       "transaction per migration.",
                        .version = AETHER_VERSION,
                        .name = kProgram,
                        .admin_port = service::kNoAdmin,
                        .handle_signals = false});
  ConfigFields fields(svc.spec());
  CLI::App& app = svc.cli().app();
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
  app.add_subcommand("verify",
                     "Exit 9 when an applied migration was edited or is missing, or history is "
                     "out of order");
  auto* plan = app.add_subcommand("plan", "Print what `up` would apply, without applying it");
  plan->add_option("--to", flags.plan_to, "Stop after this version");

  service::Invocation invocation;
  invocation.args = args;
  invocation.env = env;
  invocation.out = &io.out;
  invocation.err = &io.err;
  return svc.run(invocation, [&](service::Context& ctx) -> service::Result<service::Running> {
    ctx.request_stop(run_command(flags, fields, io, publisher_factory, app));
    return service::Running{};
  });
}

}  // namespace aether::migrate
