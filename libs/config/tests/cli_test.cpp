// Cli: --help, --version, --check-config output and exit codes.
#include <catch2/catch.hpp>
#include <sstream>

#include "aether/config/cli.hpp"

using namespace aether::config;

namespace {

struct Runner {
  Spec spec{"aether-migration-runner", "applies the PostgreSQL schema"};
  StringField& db = spec.string("DATABASE_URL", "postgresql://aether:aether@127.0.0.1:5432/aether",
                                "PostgreSQL connection URL")
                        .secret()
                        .url({"postgres", "postgresql"});
  IntField& port = spec.integer("AETHER_ADMIN_PORT", 9090, "admin HTTP port").range(0, 65535);
  Cli cli{spec, "1.2.3"};
  CLI::App* up = cli.app().add_subcommand("up", "apply pending migrations");
  CLI::App* status = cli.app().add_subcommand("status", "show applied migrations");
  int target = 0;
  std::ostringstream out;
  std::ostringstream err;

  Runner() { up->add_option("--target", target, "migrate up to this version"); }

  std::optional<int> run(std::vector<std::string> args, std::map<std::string, std::string> env) {
    std::vector<std::string> names;
    for (const auto& [name, value] : env) names.push_back(name);
    cli.set_env_names([names] { return names; });
    return cli.parse(std::move(args), map_env(std::move(env)), out, err);
  }
};

}  // namespace

TEST_CASE("check-config prints the effective config with secrets masked and exits 0") {
  Runner r;
  auto code = r.run({"--check-config"},
                    {{"DATABASE_URL", "postgres://app:topsecret@db.internal:5432/aether"}});
  REQUIRE(code == kExitOk);
  CHECK(r.out.str() ==
        "# aether-migration-runner 1.2.3: configuration is valid\n"
        "DATABASE_URL=postgres://app:***@db.internal:5432/aether  # env\n"
        "AETHER_ADMIN_PORT=9090  # default\n");
  CHECK(r.err.str().empty());
}

TEST_CASE("check-config with bad values exits 3 and lists every problem") {
  Runner r;
  auto code = r.run({"--check-config"}, {{"DATABASE_URL", "mysql://root:topsecret@db/x"},
                                         {"AETHER_ADMIN_PORT", "70000"}});
  REQUIRE(code == kExitConfig);
  CHECK(r.err.str() ==
        "aether-migration-runner: invalid configuration (2 problems):\n"
        "  DATABASE_URL=mysql://root:***@db/x: scheme \"mysql\" is not one of postgres, "
        "postgresql\n"
        "  AETHER_ADMIN_PORT=70000: must be between 0 and 65535\n");
  CHECK(r.out.str().empty());
}

TEST_CASE("check-config warns about set AETHER_ variables the program does not read") {
  Runner r;
  auto code = r.run({"--check-config"}, {{"AETHER_ADMIN_PROT", "9"}, {"HOME", "/root"}});
  REQUIRE(code == kExitOk);
  CHECK(r.out.str().ends_with(
      "AETHER_ADMIN_PORT=9090  # default\n"
      "# warning: AETHER_ADMIN_PROT is set but aether-migration-runner does not read it\n"));

  Runner bad;
  REQUIRE(bad.run({"--check-config"}, {{"AETHER_ADMIN_PORT", "x"}, {"AETHER_DEBGU", "1"}}) ==
          kExitConfig);
  CHECK(bad.err.str().ends_with(
      "  warning: AETHER_DEBGU is set but aether-migration-runner does not read it\n"));
}

TEST_CASE("check-config works beside a subcommand's options") {
  Runner r;
  CHECK(r.run({"up", "--target", "3", "--check-config"}, {}) == kExitOk);
}

TEST_CASE("a normal run loads the config and hands over to the service") {
  Runner r;
  auto code = r.run({"up", "--target", "7"}, {{"AETHER_ADMIN_PORT", "0"}});
  CHECK_FALSE(code.has_value());
  CHECK(r.up->parsed());
  CHECK_FALSE(r.status->parsed());
  CHECK(r.target == 7);
  CHECK(r.port.value() == 0);
}

TEST_CASE("a normal run with bad config exits 3 before the service starts") {
  Runner r;
  auto code = r.run({"up"}, {{"AETHER_ADMIN_PORT", "http"}});
  REQUIRE(code == kExitConfig);
  CHECK(r.err.str().find("AETHER_ADMIN_PORT=http: must be an integer") != std::string::npos);
}

TEST_CASE("usage errors exit 2") {
  Runner r;
  CHECK(r.run({"--no-such-flag"}, {}) == kExitUsage);
  CHECK_FALSE(r.err.str().empty());
  Runner r2;
  CHECK(r2.run({"up", "--target", "abc"}, {}) == kExitUsage);
}

TEST_CASE("version flag prints program and version, exits 0") {
  Runner r;
  CHECK(r.run({"--version"}, {}) == kExitOk);
  CHECK(r.out.str() == "aether-migration-runner 1.2.3\n");
}

TEST_CASE("help lists subcommands and every variable with type, default and description") {
  Runner r;
  CHECK(r.run({"--help"}, {}) == kExitOk);
  const std::string help = r.out.str();
  CHECK(help.find("--check-config") != std::string::npos);
  CHECK(help.find("up") != std::string::npos);
  CHECK(help.find("DATABASE_URL") != std::string::npos);
  CHECK(help.find("PostgreSQL connection URL") != std::string::npos);
  CHECK(help.find("[string, secret, default: postgresql://aether:***@127.0.0.1:5432/aether]") !=
        std::string::npos);
  CHECK(help.find("[integer, default: 9090]") != std::string::npos);
  CHECK(help.find("aether:aether@") == std::string::npos);
}
