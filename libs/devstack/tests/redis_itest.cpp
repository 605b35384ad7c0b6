// Redis against the real redis-server, checked with hiredis.
#include <hiredis/hiredis.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "aether/devstack/net.hpp"
#include "aether/devstack/redis.hpp"
#include "aether/process/process.hpp"

using aether::devstack::Errc;
using aether::devstack::Redis;

namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(void* r) const { freeReplyObject(r); }
};

std::string command(int port, const char* cmd) {
  std::unique_ptr<redisContext, ContextDeleter> ctx(redisConnect("127.0.0.1", port));
  REQUIRE(ctx);
  INFO("connect: " << ctx->errstr);
  REQUIRE(ctx->err == 0);
  std::unique_ptr<void, ReplyDeleter> raw(redisCommand(ctx.get(), cmd));
  auto* reply = static_cast<redisReply*>(raw.get());
  REQUIRE(reply != nullptr);
  return std::string(reply->str ? reply->str : "", reply->len);
}

Redis start() {
  auto redis = Redis::start();
  INFO((redis ? std::string() : redis.error().message));
  REQUIRE(redis.has_value());
  return std::move(*redis);
}

}  // namespace

TEST_CASE("Redis starts and answers PING", "[redis]") {
  auto redis = start();
  CHECK(redis.url() == "redis://127.0.0.1:" + std::to_string(redis.port()));
  CHECK(command(redis.port(), "PING") == "PONG");
  CHECK(command(redis.port(), "SET devstack value") == "OK");
  CHECK(command(redis.port(), "GET devstack") == "value");
}

TEST_CASE("Two Redis instances run at once on different ports", "[redis]") {
  auto a = start();
  auto b = start();
  CHECK(a.port() != b.port());
  CHECK(command(a.port(), "SET only_in_a 1") == "OK");
  CHECK(command(a.port(), "GET only_in_a") == "1");
  CHECK(command(b.port(), "GET only_in_a").empty());  // nil reply
}

TEST_CASE("Redis stop leaves no process and restart keeps the port", "[redis]") {
  auto redis = start();
  const pid_t pid = redis.pid();
  const int port = redis.port();
  REQUIRE(redis.stop().has_value());
  CHECK_FALSE(aether::process::pid_alive(pid));
  CHECK_FALSE(aether::devstack::tcp_port_open(port));
  REQUIRE(redis.restart().has_value());
  CHECK(redis.port() == port);
  CHECK(command(port, "PING") == "PONG");
}

TEST_CASE("Redis with persist keeps its data across stop and start in place", "[redis]") {
  Redis::Options options;
  options.persist = true;
  auto redis = Redis::start(options);
  INFO((redis ? std::string() : redis.error().message));
  REQUIRE(redis.has_value());
  const int port = redis->port();
  REQUIRE(command(port, "SET kept yes") == "OK");
  REQUIRE(redis->stop().has_value());
  CHECK_FALSE(aether::devstack::tcp_port_open(port));
  REQUIRE(redis->restart().has_value());
  CHECK(redis->port() == port);
  CHECK(command(port, "GET kept") == "yes");

  auto plain = start();  // the default is a cache: nothing survives
  REQUIRE(command(plain.port(), "SET gone yes") == "OK");
  REQUIRE(plain.stop().has_value());
  REQUIRE(plain.restart().has_value());
  CHECK(command(plain.port(), "GET gone").empty());
}

TEST_CASE("Redis rejects bad options by name", "[redis]") {
  Redis::Options bad;
  bad.port = -1;
  auto r = Redis::start(bad);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::kInvalidArgument);
  CHECK_THAT(r.error().message, Catch::Contains("RedisOptions::port"));
}
