#include <catch2/catch.hpp>

#include <map>

#include "config.hpp"

using namespace aether::migrate;

namespace {
EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("durations parse with units and reject everything else") {
  CHECK(parse_duration("X", "500ms")->count() == 500);
  CHECK(parse_duration("X", "60s")->count() == 60'000);
  CHECK(parse_duration("X", "2m")->count() == 120'000);
  CHECK(parse_duration("X", "1h")->count() == 3'600'000);
  CHECK(parse_duration("X", "0")->count() == 0);
  for (const char* bad : {"", "10", "-1s", "1.5s", "s", "10 s", "1d"}) {
    auto r = parse_duration("AETHER_MIGRATE_LOCK_TIMEOUT", bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("AETHER_MIGRATE_LOCK_TIMEOUT") != std::string::npos);
  }
}

TEST_CASE("config comes from the environment with defaults") {
  auto c = config_from_env(env_of({{"HOSTNAME", "h1"}}));
  REQUIRE(c);
  CHECK(c->database_url == "postgresql://aether:aether@127.0.0.1:5432/aether");
  CHECK(c->lock_timeout.count() == 60'000);
  CHECK(c->applied_by == "h1");
  CHECK(c->publish);

  auto pod = config_from_env(env_of({{"HOSTNAME", "h1"},
                                     {"POD_NAME", "api-7f9c"},
                                     {"AETHER_MIGRATE_PUBLISH", "off"},
                                     {"AETHER_MIGRATE_LOCK_TIMEOUT", "5s"}}));
  REQUIRE(pod);
  CHECK(pod->applied_by == "api-7f9c");
  CHECK_FALSE(pod->publish);
  CHECK(pod->lock_timeout.count() == 5000);

  auto bad = config_from_env(env_of({{"AETHER_MIGRATE_PUBLISH", "maybe"}}));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::kBadConfig);
  CHECK(bad.error().message.find("AETHER_MIGRATE_PUBLISH") != std::string::npos);
}

TEST_CASE("describe masks the database password") {
  Config c;
  c.database_url = "postgresql://aether:hunter2@db:5432/aether";
  auto text = describe(c);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("DATABASE_URL=postgresql://aether:****@db:5432/aether") != std::string::npos);
}
