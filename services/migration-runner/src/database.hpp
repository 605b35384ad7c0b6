// The runner's side of PostgreSQL: the history table, the advisory lock and
// applying one migration.
//
// One MigrationDatabase owns one connection (a PgConn); the advisory lock is
// session-level on that connection, so it is released when the lock guard is
// dropped, when the connection closes, or when the process dies: no manual
// unlock is ever needed. Used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "aether/schema/pg.hpp"
#include "errors.hpp"
#include "migration.hpp"
#include "plan.hpp"

namespace aether::migrate {

// Key of the session advisory lock every runner takes ("aethermg" in ASCII);
// pg_locks shows it as classid 0x61657468, objid 0x65726d67, objsubid 1.
inline constexpr std::int64_t kAdvisoryLockKey = 0x6165746865726d67;

struct SqlTimeouts {
  std::chrono::milliseconds lock_timeout{10'000};        // SET LOCAL lock_timeout (0: none)
  std::chrono::milliseconds statement_timeout{600'000};  // SET LOCAL statement_timeout (0: none)
};

class MigrationDatabase {
 public:
  [[nodiscard]] static Result<MigrationDatabase> connect(const std::string& url,
                                                         const std::string& application_name,
                                                         std::chrono::seconds connect_timeout);

  // History rows by version; empty when the table does not exist yet.
  [[nodiscard]] Result<std::vector<AppliedRecord>> read_history();
  // Creates schema_migrations when absent (call while holding the lock).
  [[nodiscard]] Result<void> ensure_history_table();

  // Polls pg_try_advisory_lock until it succeeds or `wait` passes. On timeout
  // the error names the holder (pid, application_name, client, since when).
  [[nodiscard]] Result<void> acquire_lock(std::chrono::milliseconds wait);
  [[nodiscard]] Result<void> release_lock();
  // "pid 123 (aether-migration-runner@host) from 10.0.0.5, connected since ..., state ..."
  [[nodiscard]] std::string describe_lock_holder();

  // Runs one migration and records it, in one transaction (or, for a
  // no-transaction migration, its single statement then the record).
  // Returns the duration in milliseconds. On failure nothing is recorded and
  // the error names file:line and the SQL error.
  [[nodiscard]] Result<std::int64_t> apply(const Migration& m, const SqlTimeouts& timeouts,
                                           const std::string& applied_by);

  [[nodiscard]] PGconn* raw() const { return conn_.get(); }

 private:
  explicit MigrationDatabase(schema::PgConn conn) : conn_(std::move(conn)) {}
  [[nodiscard]] Result<void> exec(const char* sql, const char* what);
  [[nodiscard]] Result<void> run_statements(const Migration& m, const SqlTimeouts& timeouts);

  schema::PgConn conn_;
};

// Maps a libpq connection failure to the runner's exit-code classes.
[[nodiscard]] Errc from_schema_errc(schema::Errc code);

}  // namespace aether::migrate
