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
  if (auto ok = check_port(options.port, "RedisOptions::port"); !ok) {
    return std::unexpected(ok.error());
  }
  Redis redis;
  auto binary =
      detail::find_program(options.binary.empty() ? std::vector<std::string>{"redis-server"}
                                                  : std::vector<std::string>{options.binary},
                           "RedisOptions::binary");
  if (!binary) return std::unexpected(binary.error());
  redis.binary_ = *binary;
  auto dir = StateDir::open(options.state_dir, "aether-redis");
  if (!dir) return std::unexpected(dir.error());
  redis.dir_ = std::move(*dir);
  redis.options_ = std::move(options);

  Error last{Errc::kStartFailed, "redis-server: no start attempted"};
  for (int attempt = 0; attempt < detail::kPortAttempts; ++attempt) {
    auto port = detail::pick_port(redis.options_.port);
    if (!port) return std::unexpected(port.error());
    redis.port_ = *port;
    auto launched = redis.launch_process();
    if (launched) {
      if (redis.options_.detach) {
        redis.process_.detach();
        redis.dir_.keep();
      }
      return redis;
    }
    last = launched.error();
    if (redis.options_.port != 0 || !detail::is_port_conflict(last)) break;
  }
  return std::unexpected(last);
}

Result<void> Redis::launch_process() {
  ProcessSpec spec;
  spec.argv = {binary_,
               "--port",
               std::to_string(port_),
               "--bind",
               "127.0.0.1",
               "--save",
               "",
               "--appendonly",
               "no",
               "--dir",
               dir_.path().string(),
               "--daemonize",
               "no"};
  spec.log_file = log_file();
  spec.pid_file = dir_.path() / "redis-server.pid";
  spec.kill_with_parent = !options_.detach;
  const int port = port_;
  auto child = detail::launch("redis-server on port " + std::to_string(port_), std::move(spec),
                              options_.start_timeout, [port] { return answers_ping(port); });
  if (!child) return std::unexpected(child.error());
  process_ = std::move(*child);
  return {};
}

std::string Redis::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

std::filesystem::path Redis::log_file() const { return dir_.path() / "redis-server.log"; }

Result<void> Redis::stop() { return process_.stop(); }

Result<void> Redis::restart() {
  if (auto stopped = stop(); !stopped) return stopped;
  auto launched = launch_process();
  if (launched && options_.detach) process_.detach();
  return launched;
}

}  // namespace aether::devstack
