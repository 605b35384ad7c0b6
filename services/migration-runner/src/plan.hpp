// Comparing the migration files with the history table: status, drift, and
// what `up` would run. Pure logic, no database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "errors.hpp"
#include "migration.hpp"

namespace aether::migrate {

// One row of schema_migrations.
struct AppliedRecord {
  std::int64_t version = 0;
  std::string name;
  std::string checksum;
  std::string applied_at;  // as PostgreSQL prints timestamptz (UTC)
  std::int64_t duration_ms = 0;
  std::string applied_by;
};

enum class MigrationState {
  kApplied,     // recorded, file unchanged
  kPending,     // file newer than every applied one
  kChanged,     // recorded, but the file's checksum differs (edited after applying)
  kMissing,     // recorded, but no file has that version
  kOutOfOrder,  // file not applied, but a newer version already is
};

[[nodiscard]] const char* to_string(MigrationState state);

struct StatusRow {
  std::int64_t version = 0;
  std::string name;
  MigrationState state = MigrationState::kPending;
  std::string file_checksum;             // empty when missing
  std::optional<AppliedRecord> applied;  // set for applied/changed/missing
  std::string origin;                    // file path or embedded:<file>; empty when missing
};

struct StatusReport {
  std::vector<StatusRow> rows;       // by version
  std::int64_t current_version = 0;  // highest applied
  std::int64_t latest_version = 0;   // highest file
  [[nodiscard]] bool drift() const;  // any changed / missing / out-of-order row
  [[nodiscard]] std::vector<std::string> problems() const;  // one line per drifting row
  [[nodiscard]] std::size_t pending() const;
};

[[nodiscard]] StatusReport compare(const std::vector<Migration>& files,
                                   const std::vector<AppliedRecord>& applied);

// The migrations `up` would run (in order), up to and including `target` when
// given. Refuses on drift (kDrift), and on a target below the current version
// or naming no migration (kBadConfig).
[[nodiscard]] Result<std::vector<const Migration*>> plan_up(const std::vector<Migration>& files,
                                                            const StatusReport& report,
                                                            std::optional<std::int64_t> target);

}  // namespace aether::migrate
