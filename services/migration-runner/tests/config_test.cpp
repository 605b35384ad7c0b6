#include <catch2/catch.hpp>

#include <sstream>

#include "aether/config/cli.hpp"
#include "config.hpp"

using namespace aether::migrate;

namespace {
// Loads the runner's variables from `vars`; nullopt on a config error.
std::optional<Config> load(std::map<std::string, std::string> vars, std::string* error = nullptr) {
  aether::config::Spec spec("aether-migration-runner", "test");
  ConfigFields fields(spec);
  auto loaded = spec.load(aether::config::map_env(std::move(vars)));
  if (!loaded) {
    if (error != nullptr) *error = loaded.error().message;
    return std::nullopt;
  }
  return fields.config();
}
}  // namespace

TEST_CASE("flag durations parse with units and reject everything else") {
  CHECK(parse_duration("X", "500ms")->count() == 500);
  CHECK(parse_duration("X", "60s")->count() == 60'000);
  CHECK(parse_duration("X", "2m")->count() == 120'000);
  CHECK(parse_duration("X", "1h")->count() == 3'600'000);
  CHECK(parse_duration("X", "0")->count() == 0);
  for (const char* bad : {"", "10", "-1s", "1.5s", "s", "10 s", "1d"}) {
    auto r = parse_duration("--lock-timeout", bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kBadConfig);
    CHECK(r.error().message.find("--lock-timeout") != std::string::npos);
  }
}

TEST_CASE("config comes from the environment with working defaults") {
  auto c = load({{"HOSTNAME", "h1"}});
  REQUIRE(c);
  CHECK(c->database_url == "postgresql://aether:aether@127.0.0.1:5432/aether");
  CHECK(c->nats_url == "nats://127.0.0.1:4222");
  CHECK(c->lock_timeout.count() == 60'000);
  CHECK(c->applied_by == "h1");
  CHECK(c->publish);
  CHECK(c->dir.empty());

  auto pod = load({{"HOSTNAME", "h1"},
                   {"POD_NAME", "api-7f9c"},
                   {"AETHER_MIGRATE_PUBLISH", "off"},
                   {"AETHER_MIGRATE_LOCK_TIMEOUT", "5s"}});
  REQUIRE(pod);
  CHECK(pod->applied_by == "api-7f9c");
  CHECK_FALSE(pod->publish);
  CHECK(pod->lock_timeout.count() == 5000);
}

TEST_CASE("bad variables are named in the error") {
  std::string error;
  CHECK_FALSE(load({{"AETHER_MIGRATE_PUBLISH", "maybe"}}, &error));
  CHECK(error.find("AETHER_MIGRATE_PUBLISH") != std::string::npos);
  CHECK_FALSE(load({{"DATABASE_URL", "mysql://x/y"}}, &error));
  CHECK(error.find("DATABASE_URL") != std::string::npos);
  CHECK_FALSE(load({{"AETHER_MIGRATE_CONNECT_TIMEOUT", "0"}}, &error));
  CHECK(error.find("AETHER_MIGRATE_CONNECT_TIMEOUT") != std::string::npos);
}
