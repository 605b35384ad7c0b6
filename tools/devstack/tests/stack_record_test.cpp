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

TEST_CASE("A nats cluster is one record per node, its URLs one NATS_URL list", "[devstack-cli]") {
  auto dir = StateDir::open("", "aether-record-test");
  REQUIRE(dir.has_value());
  StackRecord record;
  record.put({"redis", 9, "/r", 15, 6379, 0, {{"REDIS_URL", "redis://x"}}});
  record.put({"nats-1", 12, "/n", 15, 4223, 8223, {{"NATS_URL", "nats://b"}}, 6223});
  record.put({"nats-0", 11, "/n", 15, 4222, 8222, {{"NATS_URL", "nats://a"}}, 6222});
  record.put({"nats-2", 0, "/n", 15, 4224, 8224, {{"NATS_URL", "nats://c"}}, 6224});
  REQUIRE(save_record(dir->path(), record).has_value());
  auto loaded = load_record(dir->path());
  REQUIRE(loaded.has_value());
  REQUIRE(loaded->services.size() == 4);
  CHECK(loaded->services[0].name == "nats-0");
  CHECK(loaded->services[1].name == "nats-1");
  CHECK(loaded->services[1].cluster_port == 6223);
  CHECK(loaded->services[3].name == "redis");
  CHECK(loaded->nats_nodes() == 3);
  // nats-2 was stopped by `down --only nats-2`: not in the list.
  CHECK(env_lines(*loaded) ==
        "export NATS_URL='nats://a,nats://b'\nexport REDIS_URL='redis://x'\n");
}

TEST_CASE("nats-<i> names a cluster node, nothing else does", "[devstack-cli]") {
  CHECK(nats_node_index("nats-0") == 0u);
  CHECK(nats_node_index("nats-12") == 12u);
  CHECK_FALSE(nats_node_index("nats").has_value());
  CHECK_FALSE(nats_node_index("nats-").has_value());
  CHECK_FALSE(nats_node_index("nats-x").has_value());
  CHECK_FALSE(nats_node_index("nats-123").has_value());
  CHECK(service_kind("nats-2") == "nats");
  CHECK(service_kind("redis") == "redis");
  CHECK(nats_node_name(4) == "nats-4");
}
