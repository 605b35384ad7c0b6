#include "aether/devstack/redis.hpp"

#include <hiredis/hiredis.h>

#include <memory>

#include "aether/devstack/net.hpp"
#include "launch.hpp"

namespace aether::devstack {
namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(void* r) const { freeReplyObject(r); }
};

bool answers_ping(int port) {
  const timeval timeout{1, 0};
  std::unique_ptr<redisContext, ContextDeleter> ctx(
      redisConnectWithTimeout("127.0.0.1", port, timeout));
  if (!ctx || ctx->err) return false;
  std::unique_ptr<void, ReplyDeleter> raw(redisCommand(ctx.get(), "PING"));
  auto* reply = static_cast<redisReply*>(raw.get());
  return reply != nullptr && reply->type == REDIS_REPLY_STATUS &&
         std::string(reply->str, reply->len) == "PONG";
}

}  // namespace

Result<Redis> Redis::start(Options options) {
  Redis redis;
  auto binary = detail::find_program_or(options.binary, "redis-server", "RedisOptions::binary");
  if (!binary) return std::unexpected(binary.error());
  redis.binary_ = *binary;
  auto settings =
      settings_of(options, {"redis-server", "redis-server", "aether-redis", "RedisOptions::port"});
  redis.options_ = std::move(options);
  return start_launcher(std::move(redis), std::move(settings));
}

Result<void> Redis::launch_process() {
  process::Spec spec;
  spec.argv = {binary_,
               "--port",
               std::to_string(port_),
               "--bind",
               "127.0.0.1",
               "--save",
               options_.persist ? "3600 1" : "",
               "--appendonly",
               "no",
               "--dir",
               dir_.path().string(),
               "--daemonize",
               "no"};
  const int port = port_;
  return launch(std::move(spec), [port] { return answers_ping(port); });
}

std::string Redis::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

}  // namespace aether::devstack
