// StateDir and the port helpers: no servers. (ChildProcess is tested in libs/process.)
#include <catch2/catch.hpp>
#include <string>

#include "aether/devstack/net.hpp"
#include "aether/devstack/state_dir.hpp"

using namespace aether::devstack;

TEST_CASE("StateDir removes temporary directories only", "[state_dir]") {
  std::filesystem::path temp_path;
  {
    auto dir = StateDir::open("", "aether-state-dir-test");
    REQUIRE(dir.has_value());
    temp_path = dir->path();
    CHECK(dir->temporary());
    CHECK(std::filesystem::is_directory(temp_path));
  }
  CHECK_FALSE(std::filesystem::exists(temp_path));

  auto parent = StateDir::open("", "aether-state-dir-test");
  REQUIRE(parent.has_value());
  const auto given = parent->path() / "given" / "nested";
  {
    auto dir = StateDir::open(given.string(), "unused");
    REQUIRE(dir.has_value());
  }
  CHECK(std::filesystem::is_directory(given));
}

TEST_CASE("free_port gives usable loopback ports and check_port names the field", "[net]") {
  auto port = free_port();
  REQUIRE(port.has_value());
  CHECK(*port > 0);
  CHECK_FALSE(tcp_port_open(*port));
  auto bad = check_port(65536, "Options::port");
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message, Catch::Contains("Options::port"));
}
