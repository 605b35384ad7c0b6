// REDIS_URL parsing: every accepted shape and every refusal, with its message.
#include <catch2/catch.hpp>

#include "aether/redis/url.hpp"

using aether::redis::Errc;
using aether::redis::parse_redis_url;

TEST_CASE("a plain redis URL gives host and port, default db 0, no password") {
  auto ep = parse_redis_url("redis://127.0.0.1:6380");
  REQUIRE(ep.has_value());
  CHECK(ep->host == "127.0.0.1");
  CHECK(ep->port == 6380);
  CHECK(ep->db == 0);
  CHECK_FALSE(ep->password.has_value());
  CHECK(ep->user.empty());
}

TEST_CASE("the port defaults to 6379") {
  auto ep = parse_redis_url("redis://cache.internal");
  REQUIRE(ep.has_value());
  CHECK(ep->host == "cache.internal");
  CHECK(ep->port == 6379);
}

TEST_CASE("password-only, ACL user and database number are read") {
  auto ep = parse_redis_url("redis://:s3cret@10.0.0.5:6379/3");
  REQUIRE(ep.has_value());
  CHECK(ep->user.empty());
  REQUIRE(ep->password.has_value());
  CHECK(*ep->password == "s3cret");
  CHECK(ep->db == 3);

  auto acl = parse_redis_url("redis://api:pw@[::1]:7000/0");
  REQUIRE(acl.has_value());
  CHECK(acl->user == "api");
  CHECK(acl->password == "pw");
  CHECK(acl->host == "::1");
  CHECK(acl->port == 7000);
}

TEST_CASE("bad REDIS_URLs are refused with a message naming the problem") {
  auto expect_bad = [](const char* url, const char* needle) {
    auto ep = parse_redis_url(url);
    INFO(url);
    REQUIRE_FALSE(ep.has_value());
    CHECK(ep.error().code == Errc::kBadUrl);
    INFO(ep.error().message);
    CHECK(ep.error().message.find("REDIS_URL") != std::string::npos);
    CHECK(ep.error().message.find(needle) != std::string::npos);
  };
  expect_bad("rediss://host:6379", "TLS");
  expect_bad("http://host:6379", "scheme");
  expect_bad("redis://host:6379/x", "database must be a number");
  expect_bad("redis://host:6379/-1", "database must be a number");
  expect_bad("redis://host:6379?timeout=1", "query");
  expect_bad("redis://api@host:6379", "no password");
  expect_bad("redis://host:99999", "port");
  expect_bad("not a url", "");
}
