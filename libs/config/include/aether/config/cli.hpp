// Cli: the command line every Aether binary shares, on CLI11.
//
//   int main(int argc, char** argv) {
//     aether::config::Spec spec("aether-migration-runner", "applies the PostgreSQL schema");
//     auto& port = spec.integer("AETHER_ADMIN_PORT", 9090, "admin port").range(0, 65535);
//     aether::config::Cli cli(spec, AETHER_VERSION);
//     auto* up = cli.app().add_subcommand("up", "apply pending migrations");
//     if (auto exit_code = cli.parse(argc, argv)) return *exit_code;
//     // config is loaded and valid here; up->parsed() says which subcommand ran
//   }
//
// Adds --help (options, subcommands, and every variable with its type, default and
// description), --version and --check-config (validate, print the effective config
// with secrets masked, and warn about set AETHER_* variables nobody reads). parse() loads the Spec;
// when it returns a value, main returns it at once. Exit codes (kExit*): 0 ok (also after --help,
// --version, a valid
// --check-config), 1 the service failed at run time (the service's own code),
// 2 usage error (unknown flag, missing subcommand argument), 3 invalid configuration.
//
// Do not require_subcommand() on app(): a requirement would reject `--check-config`
// alone. Check `sub->parsed()` after parse() instead.
//
// Lifecycle/threads: build, add options and parse on the main thread at start-up.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "aether/config/config.hpp"

namespace aether::config {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitConfig = 3;

class Cli {
 public:
  Cli(Spec& spec, std::string version);

  // The CLI11 app, to add a service's own subcommands and flags.
  [[nodiscard]] CLI::App& app() { return app_; }
  [[nodiscard]] Spec& spec() { return spec_; }

  // nullopt: configuration is loaded and valid, carry on. A value: the exit code
  // main should return now (help/version/check-config done, or an error printed).
  [[nodiscard]] std::optional<int> parse(int argc, const char* const* argv);
  // For tests: arguments without the program name, an injected environment and streams.
  [[nodiscard]] std::optional<int> parse(std::vector<std::string> args, const EnvLookup& env,
                                         std::ostream& out, std::ostream& err);

  // Where --check-config looks for set-but-unread AETHER_* variables (default:
  // process_env_names()); tests pass the names of their injected environment.
  void set_env_names(std::function<std::vector<std::string>()> names) {
    env_names_ = std::move(names);
  }

  // The "Environment:" section of --help.
  [[nodiscard]] std::string environment_help() const;

 private:
  [[nodiscard]] int check_config(const EnvLookup& env, std::ostream& out, std::ostream& err);

  Spec& spec_;
  std::string version_;
  CLI::App app_;
  std::function<std::vector<std::string>()> env_names_ = process_env_names;
};

}  // namespace aether::config
