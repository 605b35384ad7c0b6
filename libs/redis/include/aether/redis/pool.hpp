// A bounded pool of Redis connections, shared by every thread of a process.
//
// At most `size` connections exist; they are opened lazily by acquire() and
// kept idle between uses. acquire() hands out an idle connection, opens a new
// one while there is room, or waits up to `acquire_timeout` for one to come
// back (then kPoolExhausted). A Lease returns its connection on destruction;
// a connection that broke (I/O error, timeout, server gone) is dropped instead,
// and so are all idle ones (a restart or network cut breaks them all: better
// one failed request than one per idle connection). After a failed connect,
// acquire() fails fast for `reconnect_backoff` (kUnavailable naming the last
// error) instead of making every request wait for a connect timeout; then the
// next acquire() tries again, so the pool recovers by itself.
//
// Threads: Pool is thread-safe (mutex_ guards the idle list and counters); a
// Lease belongs to the thread that acquired it. The Pool must outlive its
// Leases. Not movable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aether/redis/connection.hpp"
#include "aether/redis/error.hpp"
#include "aether/redis/url.hpp"

namespace aether::redis {

struct PoolOptions {
  Endpoint endpoint;
  std::size_t size = 8;  // most connections open at once (>= 1)
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{500};
  std::chrono::milliseconds acquire_timeout{250};    // wait for a busy pool
  std::chrono::milliseconds reconnect_backoff{250};  // fail fast after a failed connect
};

struct PoolStats {
  std::size_t open = 0;  // connections that exist (idle + leased)
  std::size_t idle = 0;
  std::uint64_t connects = 0;  // successful connects since start
  std::uint64_t connect_failures = 0;
  std::uint64_t dropped = 0;    // connections dropped as broken (incl. idle ones swept)
  std::uint64_t exhausted = 0;  // acquire() timeouts
};

class Pool;

// A connection on loan from a Pool; returns it (or drops it, if broken) when destroyed.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();

  [[nodiscard]] Connection& connection() { return *connection_; }
  Connection* operator->() { return &*connection_; }

 private:
  friend class Pool;
  Lease(Pool* pool, Connection connection) : pool_(pool), connection_(std::move(connection)) {}

  Pool* pool_;
  std::optional<Connection> connection_;
};

class Pool {
 public:
  // kInvalidArgument for size 0 or a non-positive timeout. Connects nothing yet.
  [[nodiscard]] static Result<std::unique_ptr<Pool>> create(PoolOptions options);
  explicit Pool(PoolOptions options);  // options must be valid (see create())
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // kUnavailable (cannot connect, or within the backoff after a failed connect)
  // or kPoolExhausted (all `size` connections stayed busy for acquire_timeout).
  [[nodiscard]] Result<Lease> acquire();

  // acquire() + one command. Not retried on a fresh connection: the caller
  // cannot know whether a command that failed mid-way ran (a rate-limit check
  // must not count twice).
  [[nodiscard]] Result<Reply> command(std::initializer_list<std::string_view> args);
  [[nodiscard]] Result<Reply> command(std::span<const std::string_view> args);

  // PING through the pool: true when Redis answers, for /readyz.
  [[nodiscard]] Result<void> ping();

  [[nodiscard]] PoolStats stats() const;
  [[nodiscard]] const PoolOptions& options() const { return options_; }

 private:
  friend class Lease;
  void give_back(Connection connection);

  const PoolOptions options_;
  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable returned_;
  std::vector<Connection> idle_;
  std::size_t open_ = 0;
  std::chrono::steady_clock::time_point connect_again_at_{};
  std::string last_connect_error_;
  PoolStats counters_;
};

// Problem with `options`, or nullopt when they are usable.
[[nodiscard]] std::optional<std::string> pool_options_problem(const PoolOptions& options);

}  // namespace aether::redis
