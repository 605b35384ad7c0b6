// A bounded pool of PostgreSQL connections (AETHER_PG_POOL_SIZE).
//
//   pg::Pool pool({.url = cfg.database_url, .size = 8});
//   auto rows = pool.query("SELECT ... WHERE tenant_id = $1", {tenant});
//   auto done = pool.transaction([&](pg::Connection& c) -> pg::Result<int> {
//     auto r = c.exec("INSERT ...", {...});      // BEGIN ... COMMIT around the body;
//     if (!r) return std::unexpected(r.error()); // an error (or unexpected) rolls back
//     return 1;
//   });
//
// Connections are opened lazily (the service starts while PostgreSQL is down
// and answers 503 until it is back), at most `size` at once. acquire() waits
// up to `acquire_timeout` for a free one, then fails with kUnavailable. A
// connection that broke (server restart, network) is dropped when returned
// and a new one is opened on demand; when a pooled connection turns out to be
// dead on its first statement (the server went away while it sat idle, so
// nothing ran), query() and transaction() retry once on a fresh connection.
// Every session runs with statement_timeout and TimeZone UTC.
//
// Threads: every call is thread-safe; a Lease is used by one thread. The Pool
// must outlive its Leases. Not movable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "aether/pg/connection.hpp"

namespace aether::pg {

struct PoolOptions {
  std::string url;
  int size = 8;  // AETHER_PG_POOL_SIZE; keep replicas x size below max_connections
  std::chrono::milliseconds acquire_timeout{2000};
  std::chrono::milliseconds statement_timeout{5000};  // 0: none
  std::chrono::seconds connect_timeout{3};
  std::string application_name = "aether";
};

struct PoolStats {
  int size = 0;  // the bound
  int open = 0;  // connections open now (idle + in use)
  int idle = 0;
  std::uint64_t opened = 0;          // connections ever opened
  std::uint64_t dropped_broken = 0;  // broken connections dropped
  std::uint64_t acquire_timeouts = 0;
};

class Pool;

// A connection borrowed from the pool; returned when the Lease is destroyed.
class Lease {
 public:
  Lease(Lease&& other) noexcept
      : pool_(other.pool_), conn_(std::move(other.conn_)), reused_(other.reused_) {
    other.pool_ = nullptr;
  }
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();

  Connection& operator*() { return *conn_; }
  Connection* operator->() { return conn_.get(); }
  // True when the connection came from the idle list (it may have died there).
  [[nodiscard]] bool reused() const { return reused_; }

 private:
  friend class Pool;
  Lease(Pool* pool, std::unique_ptr<Connection> conn, bool reused)
      : pool_(pool), conn_(std::move(conn)), reused_(reused) {}
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
  bool reused_ = false;
};

class Pool {
 public:
  explicit Pool(PoolOptions options);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  [[nodiscard]] Result<Lease> acquire();

  // One statement on a pooled connection.
  [[nodiscard]] Result<Rows> query(const char* sql, const Params& params = {});

  // BEGIN; body(conn); COMMIT — ROLLBACK when body returns an error. The body
  // returns std::expected<T, E> where E is constructible from pg::Error.
  template <class F>
  auto transaction(F&& body) -> std::invoke_result_t<F&, Connection&> {
    using R = std::invoke_result_t<F&, Connection&>;
    using E = typename R::error_type;
    auto lease = begin();
    if (!lease) return std::unexpected(E(std::move(lease.error())));
    R result = body(**lease);
    if (!result) {
      (void)(*lease)->exec_script("ROLLBACK");
      return result;
    }
    if (auto c = (*lease)->exec_script("COMMIT"); !c) return std::unexpected(E(c.error()));
    return result;
  }

  [[nodiscard]] PoolStats stats() const;
  [[nodiscard]] const PoolOptions& options() const { return options_; }

 private:
  friend class Lease;
  void release(std::unique_ptr<Connection> conn);
  // A leased connection inside BEGIN (retried once on a stale connection).
  [[nodiscard]] Result<Lease> begin();

  PoolOptions options_;
  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // idle + leased + being opened
  PoolStats counters_;
};

}  // namespace aether::pg
