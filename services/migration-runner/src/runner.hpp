// The migration runner's commands as an in-process API (the CLI and tests
// both use it).
//
// A Runner holds the options and the migration set; each command opens its
// own connection, does its work and closes it, so a Runner may be used for
// several commands in a row (by one thread at a time). `up` holds the
// advisory lock for its whole run, inside a span "migration-runner up" whose
// traceparent the event carries.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "database.hpp"
#include "errors.hpp"
#include "event_publisher.hpp"
#include "migration.hpp"
#include "plan.hpp"

namespace aether::migrate {

struct RunnerOptions {
  std::string database_url;
  std::string applied_by;                       // POD_NAME, HOSTNAME or the host name
  std::string application_name;                 // aether-migration-runner@<applied_by>
  std::chrono::milliseconds lock_wait{60'000};  // --lock-timeout
  std::chrono::seconds connect_timeout{10};
  SqlTimeouts sql_timeouts;
};

struct AppliedNow {
  std::int64_t version = 0;
  std::string name;
  std::string checksum;
  std::int64_t duration_ms = 0;
};

struct UpOutcome {
  std::int64_t from_version = 0;
  std::int64_t to_version = 0;
  std::vector<AppliedNow> applied;
  std::int64_t duration_ms = 0;
  bool published = false;                // an event went out
  std::optional<Error> publish_error;    // set when applied but not announced
  std::optional<Error> migration_error;  // set when a migration failed after others applied
};

class Runner {
 public:
  // `publisher` may be null (publishing disabled); it must outlive the Runner.
  Runner(RunnerOptions options, std::vector<Migration> migrations, EventPublisher* publisher);

  // Applies pending migrations (up to `target`). A migration failure before
  // anything was applied is an error; after some were applied it is reported
  // in UpOutcome::migration_error (those applied are announced first).
  [[nodiscard]] Result<UpOutcome> up(std::optional<std::int64_t> target = std::nullopt);
  [[nodiscard]] Result<StatusReport> status();
  // Like status(), but an error (kDrift) listing every problem when there is drift.
  [[nodiscard]] Result<StatusReport> verify();
  [[nodiscard]] Result<std::vector<const Migration*>> plan(
      std::optional<std::int64_t> target = std::nullopt);

  [[nodiscard]] const std::vector<Migration>& migrations() const { return migrations_; }

 private:
  [[nodiscard]] Result<MigrationDatabase> open();
  [[nodiscard]] Result<UpOutcome> up_locked(MigrationDatabase& db,
                                            std::optional<std::int64_t> target,
                                            std::chrono::steady_clock::time_point start,
                                            const std::string& traceparent);
  void announce(UpOutcome& outcome, std::chrono::steady_clock::time_point start,
                const std::string& traceparent);

  RunnerOptions options_;
  std::vector<Migration> migrations_;
  EventPublisher* publisher_;
};

// The event `up` publishes, built from its outcome.
[[nodiscard]] aether::v1::SchemaMigrated make_schema_migrated_event(const UpOutcome& outcome,
                                                                    const std::string& applied_by,
                                                                    const std::string& traceparent);
// "schema-<from>-<to>-<first 16 hex of sha256 over the applied checksums>".
[[nodiscard]] std::string schema_migrated_msg_id(const UpOutcome& outcome);

}  // namespace aether::migrate
