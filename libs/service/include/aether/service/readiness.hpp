// Readiness checks every service has: NATS connected, schema at the version it needs.
//
//   ctx.connect_nats();                                  // adds "nats" by itself
//   aether::service::require_schema(ctx, config.database_url, 3);  // adds "schema"
//
// nats_connected() reads the connection's flag (no I/O). SchemaWatch checks the schema
// on its own thread (libs/schema, a short-lived connection each time) and /readyz reads
// the latest answer, because readiness checks must not do slow I/O.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "aether/bus/connection.hpp"
#include "aether/http/admin_server.hpp"

namespace aether::service {

class Context;

// {} while `connection` is connected, else "not connected to <url>" (password masked).
[[nodiscard]] http::ReadinessCheck nats_connected(bus::Connection connection, std::string url);

// SchemaWatch: "is the schema at least version N?", re-checked every `interval`.
// Lifecycle: the constructor starts the thread, which checks at once; the destructor
// stops and joins it (promptly: the wait is interruptible). Threads: check() and
// last_message() from any thread.
class SchemaWatch {
 public:
  SchemaWatch(std::string database_url, std::int64_t required_version,
              std::chrono::milliseconds interval = std::chrono::seconds(5));
  ~SchemaWatch();
  SchemaWatch(const SchemaWatch&) = delete;
  SchemaWatch& operator=(const SchemaWatch&) = delete;

  // {} when the last check found the schema recent enough; else why not ("checking",
  // "schema at version 2, need 3: run aether-migration-runner up", "PostgreSQL: ...").
  [[nodiscard]] http::CheckResult check() const;
  // Waits until at least one check has finished (for tests and start-up logs).
  bool wait_checked(std::chrono::milliseconds timeout) const;

 private:
  void loop(std::stop_token stop);

  const std::string url_;
  const std::int64_t required_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;  // guards ok_, message_, checks_
  mutable std::condition_variable_any changed_;
  bool ok_ = false;
  std::string message_ = "checking";
  std::uint64_t checks_ = 0;
  std::jthread thread_;  // last: stopped first
};

// Starts a SchemaWatch owned by `ctx` and adds it as the "schema" readiness check.
void require_schema(Context& ctx, std::string database_url, std::int64_t required_version,
                    std::chrono::milliseconds interval = std::chrono::seconds(5));

}  // namespace aether::service
