#include "aether/config/cli.hpp"

#include <algorithm>
#include <iostream>

namespace aether::config {
namespace {

// Thrown from the --check-config flag's callback: CLI11 runs flag callbacks before it
// checks requirements, so --check-config works even where a service's flags would
// otherwise be incomplete (the same way --help and --version do).
struct CheckConfigRequested {};

void print_problems(const Spec& spec, const Error& error, std::ostream& err) {
  err << spec.program() << ": invalid configuration (" << error.problems.size()
      << (error.problems.size() == 1 ? " problem" : " problems") << "):\n";
  for (const auto& p : error.problems) err << "  " << p << "\n";
}

}  // namespace

Cli::Cli(Spec& spec, std::string version)
    : spec_(spec), version_(std::move(version)), app_(spec.description(), spec.program()) {
  app_.set_version_flag("--version", spec_.program() + " " + version_);
  app_.add_flag_callback(
      "--check-config", [] { throw CheckConfigRequested{}; },
      "Validate the configuration, print it with secrets masked, and exit (0 valid, 3 invalid)");
  app_.footer([this] { return environment_help(); });
  // Subcommands added later inherit this: `tool up --check-config` reaches the root flag.
  app_.fallthrough();
}

std::optional<int> Cli::parse(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse(std::move(args), process_env(), std::cout, std::cerr);
}

std::optional<int> Cli::parse(std::vector<std::string> args, const EnvLookup& env,
                              std::ostream& out, std::ostream& err) {
  std::reverse(args.begin(), args.end());  // CLI11's vector form takes arguments last-first
  try {
    app_.parse(args);
  } catch (const CheckConfigRequested&) {
    return check_config(env, out, err);
  } catch (const CLI::ParseError& e) {
    // Prints help/version to `out`, or the error and a --help hint to `err`.
    return app_.exit(e, out, err) == 0 ? kExitOk : kExitUsage;
  }
  if (auto loaded = spec_.load(env); !loaded) {
    print_problems(spec_, loaded.error(), err);
    err << "Run with --help to see every variable.\n";
    return kExitConfig;
  }
  return std::nullopt;
}

int Cli::check_config(const EnvLookup& env, std::ostream& out, std::ostream& err) {
  const auto unread = spec_.unread(env_names_ ? env_names_() : std::vector<std::string>{});
  if (auto loaded = spec_.load(env); !loaded) {
    print_problems(spec_, loaded.error(), err);
    for (const auto& name : unread) {
      err << "  warning: " << name << " is set but " << spec_.program() << " does not read it\n";
    }
    return kExitConfig;
  }
  out << "# " << spec_.program() << " " << version_ << ": configuration is valid\n";
  for (const auto& entry : spec_.effective()) {
    out << entry.name << "=" << entry.value << "  # " << (entry.from_env ? "env" : "default")
        << "\n";
  }
  for (const auto& name : unread) {
    out << "# warning: " << name << " is set but " << spec_.program() << " does not read it\n";
  }
  return kExitOk;
}

std::string Cli::environment_help() const {
  std::string text = "Environment (each variable is optional; --check-config shows the values):\n";
  std::size_t width = 0;
  for (const auto& f : spec_.fields()) width = std::max(width, f->name().size());
  for (const auto& f : spec_.fields()) {
    text +=
        "  " + f->name() + std::string(width - f->name().size() + 2, ' ') + f->description() + "\n";
    text += "  " + std::string(width + 2, ' ') + "[" + f->type_name() +
            (f->is_secret() ? ", secret" : "") + ", default: " + f->default_text() + "]\n";
  }
  return text;
}

}  // namespace aether::config
