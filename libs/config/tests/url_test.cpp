#include <catch2/catch.hpp>

#include "aether/config/url.hpp"

using namespace aether::config;

TEST_CASE("parse_url reads connection URLs") {
  auto u = parse_url("postgresql://aether:pw@127.0.0.1:5432/aether?sslmode=disable");
  REQUIRE(u);
  CHECK(u->scheme == "postgresql");
  CHECK(u->user == "aether");
  CHECK(u->password == "pw");
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 5432);
  CHECK(u->path == "/aether");
  CHECK(u->query == "sslmode=disable");

  auto v6 = parse_url("NATS://[::1]:4222");
  REQUIRE(v6);
  CHECK(v6->scheme == "nats");
  CHECK(v6->host == "::1");
  CHECK(v6->port == 4222);
  CHECK_FALSE(v6->password);

  auto plain = parse_url("redis://localhost");
  REQUIRE(plain);
  CHECK(plain->host == "localhost");
  CHECK_FALSE(plain->port);
}

TEST_CASE("parse_url rejects what is not a connection URL, saying why") {
  CHECK(parse_url("localhost:5432").error().message == "expected scheme://host[:port][/path]");
  CHECK(parse_url("nats://:4222").error().message == "host is empty");
  CHECK(parse_url("nats://h:0").error().message == "port \"0\" must be a number from 1 to 65535");
  CHECK(parse_url("nats://h:").error().message == "port \"\" must be a number from 1 to 65535");
  CHECK(parse_url("nats://h :1").error().message == "contains whitespace");
  CHECK(parse_url("nats://[::1").error().message == "IPv6 host is missing its closing ']'");
  CHECK(parse_url("1nats://h").error().code == Errc::kInvalidUrl);
}

TEST_CASE("mask_secret hides passwords only") {
  CHECK(mask_secret("postgresql://aether:pw@127.0.0.1:5432/aether") ==
        "postgresql://aether:***@127.0.0.1:5432/aether");
  CHECK(mask_secret("redis://:pw@[::1]:6379/0") == "redis://:***@[::1]:6379/0");
  CHECK(mask_secret("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222");
  CHECK(mask_secret("postgres://h/db?user=a&password=pw&sslmode=require") ==
        "postgres://h/db?user=a&password=***&sslmode=require");
  CHECK(mask_secret("nats://h?auth_token=abc") == "nats://h?auth_token=***");
  CHECK(mask_secret("plain-token") == "***");
  CHECK(mask_secret("") == "");
}
