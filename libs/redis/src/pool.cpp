#include "aether/redis/pool.hpp"

#include <utility>

namespace aether::redis {

std::optional<std::string> pool_options_problem(const PoolOptions& options) {
  if (options.size == 0) return "PoolOptions::size must be at least 1";
  if (options.connect_timeout.count() <= 0) return "PoolOptions::connect_timeout must be positive";
  if (options.command_timeout.count() <= 0) return "PoolOptions::command_timeout must be positive";
  if (options.acquire_timeout.count() < 0)
    return "PoolOptions::acquire_timeout must not be negative";
  if (options.reconnect_backoff.count() < 0)
    return "PoolOptions::reconnect_backoff must not be negative";
  return std::nullopt;
}

Result<std::unique_ptr<Pool>> Pool::create(PoolOptions options) {
  if (auto problem = pool_options_problem(options))
    return make_error(Errc::kInvalidArgument, *problem);
  return std::make_unique<Pool>(std::move(options));
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {}

Result<Lease> Pool::acquire() {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  for (;;) {
    if (!idle_.empty()) {
      Connection conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    if (open_ < options_.size) {
      const auto now = std::chrono::steady_clock::now();
      if (now < connect_again_at_)
        return make_error(Errc::kUnavailable,
                          last_connect_error_ + " (next attempt in " +
                              std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 connect_again_at_ - now)
                                                 .count()) +
                              " ms)");
      ++open_;  // reserve the slot, connect without holding the lock
      lock.unlock();
      auto conn = Connection::open(
          ConnectionOptions{options_.endpoint, options_.connect_timeout, options_.command_timeout});
      lock.lock();
      if (!conn) {
        --open_;
        ++counters_.connect_failures;
        if (conn.error().code == Errc::kUnavailable) {
          connect_again_at_ = std::chrono::steady_clock::now() + options_.reconnect_backoff;
          last_connect_error_ = conn.error().message;
        }
        returned_.notify_one();  // the slot is free again for a waiter
        return std::unexpected(conn.error());
      }
      ++counters_.connects;
      connect_again_at_ = {};
      return Lease(this, std::move(*conn));
    }
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      ++counters_.exhausted;
      return make_error(Errc::kPoolExhausted, "redis pool: all " + std::to_string(options_.size) +
                                                  " connections busy for " +
                                                  std::to_string(options_.acquire_timeout.count()) +
                                                  " ms");
    }
  }
}

void Pool::give_back(Connection connection) {
  std::lock_guard lock(mutex_);
  if (connection.broken()) {
    // Whatever broke this one (a restart, a network cut) most likely broke the
    // idle ones too: drop them now rather than fail one request per connection.
    counters_.dropped += 1 + idle_.size();
    open_ -= 1 + idle_.size();
    idle_.clear();
    returned_.notify_all();
    return;
  }
  idle_.push_back(std::move(connection));
  returned_.notify_one();
}

Result<Reply> Pool::command(std::initializer_list<std::string_view> args) {
  return command(std::span<const std::string_view>(args.begin(), args.size()));
}

Result<Reply> Pool::command(std::span<const std::string_view> args) {
  auto lease = acquire();
  if (!lease) return std::unexpected(lease.error());
  return lease->connection().command(args);
}

Result<void> Pool::ping() {
  auto reply = command({"PING"});
  if (!reply) return std::unexpected(reply.error());
  if (reply->text() != "PONG")
    return make_error(Errc::kUnexpectedReply,
                      "redis PING: answered '" + std::string(reply->text()) + "'");
  return {};
}

PoolStats Pool::stats() const {
  std::lock_guard lock(mutex_);
  PoolStats s = counters_;
  s.open = open_;
  s.idle = idle_.size();
  return s;
}

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {
  other.connection_.reset();
}

Lease::~Lease() {
  if (pool_ != nullptr && connection_) pool_->give_back(std::move(*connection_));
}

}  // namespace aether::redis
