// RAII for hiredis: Reply owns a redisReply, Connection owns a redisContext.
//
// Connection::open() connects with a bounded connect timeout, sets the command
// timeout on the socket, then sends AUTH and SELECT when the endpoint asks for
// them. command() is binary-safe (redisCommandArgv). Once hiredis reports an
// I/O or protocol error (including a command timeout) the context cannot be
// used again: broken() turns true and the Pool drops the connection.
//
// A Connection (and every Reply) is used by one thread at a time; it is
// movable, not copyable.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "aether/redis/error.hpp"
#include "aether/redis/url.hpp"

namespace aether::redis {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};

// One reply (of any type). Error replies never reach callers as a Reply:
// Connection::command() turns them into Errc::kServerError.
class Reply {
 public:
  explicit Reply(redisReply* reply) : reply_(reply) {}

  [[nodiscard]] const redisReply& raw() const { return *reply_; }
  [[nodiscard]] int type() const { return reply_->type; }
  [[nodiscard]] bool is_nil() const { return reply_->type == REDIS_REPLY_NIL; }
  // The text of a string or status reply.
  [[nodiscard]] std::string_view text() const { return {reply_->str, reply_->len}; }
  [[nodiscard]] long long integer() const { return reply_->integer; }

 private:
  std::unique_ptr<redisReply, ReplyDeleter> reply_;
};

// Readers for the elements of array replies: the shape is checked, and a
// mismatch is an Errc::kUnexpectedReply naming `what`.
[[nodiscard]] Result<const redisReply*> array_element(const redisReply& array, std::size_t index,
                                                      std::string_view what);
[[nodiscard]] Result<long long> integer_of(const redisReply& reply, std::string_view what);
// A string or status element; nil is an empty optional.
[[nodiscard]] Result<std::optional<std::string>> string_of(const redisReply& reply,
                                                           std::string_view what);

struct ConnectionOptions {
  Endpoint endpoint;
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{500};
};

class Connection {
 public:
  // kUnavailable when nothing answers in time; kServerError when AUTH or SELECT is refused.
  [[nodiscard]] static Result<Connection> open(const ConnectionOptions& options);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  // Sends one command and waits for its reply (bounded by command_timeout).
  // Redis' error replies become kServerError with Redis' own text ("NOSCRIPT
  // No matching script..."), except LOADING / MASTERDOWN / BUSY, which are
  // kUnavailable (Redis is up but cannot serve yet).
  [[nodiscard]] Result<Reply> command(std::span<const std::string_view> args);
  [[nodiscard]] Result<Reply> command(std::initializer_list<std::string_view> args) {
    return command(std::span<const std::string_view>(args.begin(), args.size()));
  }

  // True once the context hit an I/O or protocol error: it must not be reused.
  [[nodiscard]] bool broken() const { return broken_; }
  [[nodiscard]] const std::string& peer() const { return peer_; }

 private:
  Connection(redisContext* context, std::string peer) : context_(context), peer_(std::move(peer)) {}
  [[nodiscard]] Error transport_error(std::string_view during);

  std::unique_ptr<redisContext, ContextDeleter> context_;
  std::string peer_;  // host:port, for messages
  std::chrono::milliseconds command_timeout_{};
  bool broken_ = false;
};

}  // namespace aether::redis
