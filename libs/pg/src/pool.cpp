#include "aether/pg/pool.hpp"

namespace aether::pg {

Lease::~Lease() {
  if (pool_ != nullptr && conn_) pool_->release(std::move(conn_));
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {
  if (options_.size < 1) options_.size = 1;
  counters_.size = options_.size;
}

Result<Lease> Pool::acquire() {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  for (;;) {
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->healthy()) return Lease(this, std::move(conn), /*reused=*/true);
      --open_;
      ++counters_.dropped_broken;
    }
    if (open_ < options_.size) break;
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      ++counters_.acquire_timeouts;
      return make_error(
          Errc::kUnavailable,
          "no database connection free within " + std::to_string(options_.acquire_timeout.count()) +
              " ms (AETHER_PG_POOL_SIZE=" + std::to_string(options_.size) + ", all in use)");
    }
  }
  ++open_;  // reserve the slot, connect without holding the lock
  lock.unlock();
  auto conn = Connection::open(options_.url, options_.application_name, options_.connect_timeout,
                               options_.statement_timeout);
  lock.lock();
  if (!conn) {
    --open_;
    freed_.notify_one();
    return std::unexpected(conn.error());
  }
  ++counters_.opened;
  return Lease(this, std::make_unique<Connection>(std::move(*conn)), /*reused=*/false);
}

void Pool::release(std::unique_ptr<Connection> conn) {
  // A connection left inside a transaction (a body that threw, a failed
  // ROLLBACK) is not reusable as is: roll it back or drop it.
  if (conn->healthy() && !conn->idle()) (void)conn->exec_script("ROLLBACK");
  std::lock_guard lock(mutex_);
  if (conn->healthy() && conn->idle()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
    ++counters_.dropped_broken;
  }
  freed_.notify_one();
}

Result<Rows> Pool::query(const char* sql, const Params& params) {
  for (int attempt = 0;; ++attempt) {
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    auto rows = (*lease)->exec(sql, params);
    // The connection died while idle (server restart, terminated backend:
    // libpq reports it on the next statement, which therefore never ran).
    if (!rows && attempt == 0 && lease->reused() && !(*lease)->healthy() &&
        rows.error().code == Errc::kUnavailable) {
      continue;
    }
    return rows;
  }
}

Result<Lease> Pool::begin() {
  for (int attempt = 0;; ++attempt) {
    auto lease = acquire();
    if (!lease) return lease;
    auto r = (*lease)->exec_script("BEGIN");
    if (r) return lease;
    if (attempt == 0 && lease->reused() && !(*lease)->healthy()) continue;
    return std::unexpected(r.error());
  }
}

PoolStats Pool::stats() const {
  std::lock_guard lock(mutex_);
  PoolStats s = counters_;
  s.open = open_;
  s.idle = static_cast<int>(idle_.size());
  return s;
}

}  // namespace aether::pg
