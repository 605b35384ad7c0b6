// Spec: every problem collected, secrets masked everywhere they are shown.
#include <algorithm>
#include <catch2/catch.hpp>

#include "aether/config/config.hpp"

using namespace aether::config;

TEST_CASE("load collects every problem, in declaration order, in one error") {
  Spec spec("aether-test", "test");
  (void)spec.integer("AETHER_ADMIN_PORT", 9090, "port").range(0, 65535);
  (void)spec.choice("AETHER_LOG_FORMAT", "json", {"json", "text"}, "format");
  (void)spec.boolean("AETHER_DEBUG", false, "debug");
  auto r = spec.load(map_env(
      {{"AETHER_ADMIN_PORT", "70000"}, {"AETHER_LOG_FORMAT", "yaml"}, {"AETHER_DEBUG", "true"}}));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kInvalidValue);
  CHECK(r.error().problems ==
        std::vector<std::string>{"AETHER_ADMIN_PORT=70000: must be between 0 and 65535",
                                 "AETHER_LOG_FORMAT=yaml: must be one of json, text"});
  CHECK(r.error().message ==
        "AETHER_ADMIN_PORT=70000: must be between 0 and 65535\n"
        "AETHER_LOG_FORMAT=yaml: must be one of json, text");
}

TEST_CASE("a secret URL shows its password as *** in values, defaults and errors") {
  Spec spec("aether-test", "test");
  auto& db = spec.string("DATABASE_URL", "postgresql://aether:hunter2@127.0.0.1:5432/aether", "db")
                 .secret()
                 .url({"postgres", "postgresql"});
  auto& token = spec.string("AETHER_TOKEN", "s3cr3t", "token").secret();

  REQUIRE(spec.load(map_env({})));
  CHECK(db.value() == "postgresql://aether:hunter2@127.0.0.1:5432/aether");
  CHECK(db.value_text() == "postgresql://aether:***@127.0.0.1:5432/aether");
  CHECK(db.default_text() == "postgresql://aether:***@127.0.0.1:5432/aether");
  CHECK(token.value_text() == "***");

  auto entries = spec.effective();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].name == "DATABASE_URL");
  CHECK(entries[0].value == "postgresql://aether:***@127.0.0.1:5432/aether");
  CHECK_FALSE(entries[0].from_env);

  auto r = spec.load(map_env({{"DATABASE_URL", "mysql://root:hunter2@db/x"}}));
  REQUIRE_FALSE(r);
  CHECK(r.error().message ==
        "DATABASE_URL=mysql://root:***@db/x: scheme \"mysql\" is not one of postgres, postgresql");
  CHECK(r.error().message.find("hunter2") == std::string::npos);
}

TEST_CASE("declaring a variable twice is a programming error") {
  Spec spec("aether-test", "test");
  (void)spec.integer("AETHER_X", 1, "x");
  CHECK_THROWS_AS(spec.boolean("AETHER_X", true, "x again"), std::logic_error);
  REQUIRE(spec.find("AETHER_X") != nullptr);
  CHECK(spec.find("AETHER_X")->type_name() == "integer");
  CHECK(spec.find("AETHER_Y") == nullptr);
}

TEST_CASE("a value that fails to parse leaves the field at its default") {
  Spec spec("aether-test", "test");
  auto& port = spec.integer("AETHER_ADMIN_PORT", 9090, "port");
  REQUIRE_FALSE(spec.load(map_env({{"AETHER_ADMIN_PORT", "nope"}})));
  CHECK(port.value() == 9090);
}

TEST_CASE("unread lists set variables with the prefix that no field reads") {
  Spec spec("aether-test", "test");
  (void)spec.integer("AETHER_ADMIN_PORT", 1, "port");
  CHECK(spec.unread({"PATH", "AETHER_ADMIN_PORT", "AETHER_LOG_FORAMT", "AETHER_A"}) ==
        std::vector<std::string>{"AETHER_A", "AETHER_LOG_FORAMT"});
  CHECK(spec.unread({"OTEL_FOO"}, "OTEL_") == std::vector<std::string>{"OTEL_FOO"});
  const auto names = process_env_names();
  CHECK(std::find(names.begin(), names.end(), "PATH") != names.end());
}
