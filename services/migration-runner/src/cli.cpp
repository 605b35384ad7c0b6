#include "cli.hpp"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

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

}  // namespace

int run_cli(const std::vector<std::string>& args, const EnvLookup& env, const CliIo& io,
            const PublisherFactory& publisher_factory) {
  CLI::App app{
      "Applies Aether's PostgreSQL schema migrations under an advisory lock.\n"
      "Environment: DATABASE_URL, NATS_URL, AETHER_MIGRATE_* (see README).",
      kProgram};
  bool show_version = false;
  bool check_config = false;
  std::string dir, lock_timeout, statement_timeout, pg_lock_timeout;
  app.add_flag("--version", show_version, "Print the version and exit");
  app.add_flag("--check-config", check_config,
               "Validate the configuration, print it (secrets masked) and exit");
  app.add_option("--dir", dir, "Read migrations from this directory instead of the embedded set");
  app.add_option("--lock-timeout", lock_timeout,
                 "How long to wait for another runner's advisory lock (default 60s)");
  app.add_option("--statement-timeout", statement_timeout,
                 "statement_timeout for migration SQL (default 10m, 0: none)");
  app.add_option("--pg-lock-timeout", pg_lock_timeout,
                 "lock_timeout for migration SQL waiting on table locks (default 10s)");

  // Set before adding subcommands, which inherit it: global flags may follow
  // the command (`up --lock-timeout 5s`).
  app.fallthrough();
  std::optional<std::int64_t> up_to, plan_to;
  bool json = false;
  auto* up = app.add_subcommand("up", "Apply pending migrations (to the latest or --to N)");
  up->add_option("--to", up_to, "Stop after this version");
  auto* status = app.add_subcommand("status", "List applied and pending migrations");
  status->add_flag("--json", json, "Print JSON instead of a table");
  auto* verify = app.add_subcommand(
      "verify",
      "Exit non-zero when an applied migration was edited or is missing, or history is "
      "out of order");
  auto* plan = app.add_subcommand("plan", "Print what `up` would apply, without applying it");
  plan->add_option("--to", plan_to, "Stop after this version");
  app.require_subcommand(0, 1);

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::ParseError& e) {
    io.err << kProgram << ": error: " << e.what() << " (see --help)\n";
    return exit_code(Errc::kBadConfig);
  }
  if (show_version) {
    io.out << kProgram << " " << AETHER_VERSION << "\n";
    return 0;
  }

  auto config = config_from_env(env);
  if (!config) return fail(io, config.error());
  if (!dir.empty()) config->dir = dir;
  struct Flag {
    const char* name;
    const std::string& value;
    std::chrono::milliseconds* target;
  };
  for (const Flag& f : {Flag{"--lock-timeout", lock_timeout, &config->lock_timeout},
                        Flag{"--statement-timeout", statement_timeout, &config->statement_timeout},
                        Flag{"--pg-lock-timeout", pg_lock_timeout, &config->pg_lock_timeout}}) {
    if (f.value.empty()) continue;
    auto parsed = parse_duration(f.name, f.value);
    if (!parsed) return fail(io, parsed.error());
    *f.target = *parsed;
  }

  auto migrations =
      config->dir.empty() ? load_embedded_migrations() : load_migrations_from_dir(config->dir);
  if (!migrations) return fail(io, migrations.error());

  if (check_config) {
    io.out << describe(*config) << "migrations=" << migrations->size() << " (latest "
           << (migrations->empty() ? 0 : migrations->back().version) << ")\n";
    return 0;
  }
  if (app.get_subcommands().empty()) {
    io.err << kProgram
           << ": error: no command given: one of up, status, verify, plan (see --help)\n";
    return exit_code(Errc::kBadConfig);
  }

  RunnerOptions options;
  options.database_url = config->database_url;
  options.applied_by = config->applied_by;
  options.application_name = std::string(kProgram) + "@" + config->applied_by;
  options.lock_wait = config->lock_timeout;
  options.connect_timeout =
      std::chrono::duration_cast<std::chrono::seconds>(config->connect_timeout);
  options.sql_timeouts = {config->pg_lock_timeout, config->statement_timeout};

  std::unique_ptr<EventPublisher> publisher;
  if (up->parsed() && config->publish && publisher_factory) publisher = publisher_factory(*config);
  if (up->parsed() && config->publish && !publisher) {
    spdlog::warn("no event publisher in this build: {} will not be sent", kSchemaMigratedSubject);
  }
  Runner runner(std::move(options), std::move(*migrations), publisher.get());

  if (up->parsed()) {
    auto outcome = runner.up(up_to);
    if (!outcome) return fail(io, outcome.error());
    print_up(io.out, *outcome);
    if (outcome->migration_error) return fail(io, *outcome->migration_error);
    if (outcome->publish_error) {
      return fail(io, Error{Errc::kPublishFailed,
                            "schema migrated to version " + std::to_string(outcome->to_version) +
                                " but " + kSchemaMigratedSubject +
                                " was not published: " + outcome->publish_error->message});
    }
    return 0;
  }
  if (status->parsed()) {
    auto report = runner.status();
    if (!report) return fail(io, report.error());
    if (json) {
      print_status_json(io.out, *report);
    } else {
      print_status_table(io.out, *report);
    }
    return 0;
  }
  if (verify->parsed()) {
    auto report = runner.verify();
    if (!report) return fail(io, report.error());
    io.out << "ok: " << report->rows.size() - report->pending()
           << " applied migrations match their files; " << report->pending() << " pending\n";
    return 0;
  }
  auto planned = runner.plan(plan_to);
  if (!planned) return fail(io, planned.error());
  print_plan(io.out, *planned);
  return 0;
}

}  // namespace aether::migrate
