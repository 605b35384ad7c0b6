// The stack record round trip and the env lines, without servers.
#include <catch2/catch.hpp>
#include <fstream>

#include "aether/devstack/state_dir.hpp"
#include "stack_record.hpp"

using namespace aether::devstack;
using namespace aether::devstack::cli;

TEST_CASE("A stack record survives save and load, in service order", "[devstack-cli]") {
  auto dir = StateDir::open("", "aether-record-test");
  REQUIRE(dir.has_value());
  StackRecord record;
  record.put({"redis", 42, "/usr/bin/redis-server", 15, 6379, 0, {{"REDIS_URL", "redis://x"}}});
  record.put({"nats", 41, "/usr/sbin/nats-server", 15, 4222, 8222, {{"NATS_URL", "nats://y"}}});
  REQUIRE(save_record(dir->path(), record).has_value());

  auto loaded = load_record(dir->path());
  REQUIRE(loaded.has_value());
  REQUIRE(loaded->services.size() == 2);
  CHECK(loaded->services[0].name == "nats");
  CHECK(loaded->services[0].monitor_port == 8222);
  CHECK(loaded->services[1].pid == 42);
  CHECK(env_lines(*loaded) == "export NATS_URL='nats://y'\nexport REDIS_URL='redis://x'\n");
  std::ifstream env(env_file(dir->path()));
  std::string first;
  std::getline(env, first);
  CHECK(first == "export NATS_URL='nats://y'");
}

TEST_CASE("Env lines quote values for the shell and skip stopped services", "[devstack-cli]") {
  StackRecord record;
  record.put({"postgres", 7, "/p", 2, 5432, 0, {{"DATABASE_URL", "postgresql://a:it's@h/d"}}});
  record.put({"redis", 0, "/r", 15, 6379, 0, {{"REDIS_URL", "redis://x"}}});
  CHECK(env_lines(record) == "export DATABASE_URL='postgresql://a:it'\\''s@h/d'\n");
}

TEST_CASE("A corrupt stack record is an error naming the file", "[devstack-cli]") {
  auto dir = StateDir::open("", "aether-record-test");
  REQUIRE(dir.has_value());
  std::ofstream(record_file(dir->path())) << "{not json";
  auto loaded = load_record(dir->path());
  REQUIRE_FALSE(loaded.has_value());
  CHECK_THAT(loaded.error().message, Catch::Contains("stack.json"));
  CHECK(load_record(dir->path() / "missing").value().services.empty());
}
