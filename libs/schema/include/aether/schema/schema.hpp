// Readiness check: "is the database schema at least version N?"
//
// Services call check_schema_at_least() from /readyz (or before serving) and
// refuse readiness until `ok` is true. The version is the highest one recorded
// by aether-migration-runner in schema_migrations; a database where the table
// does not exist yet is version 0, with a message saying to run the runner.
// Stateless free functions: safe from any thread with its own connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aether/schema/pg.hpp"

namespace aether::schema {

// The table aether-migration-runner keeps its history in.
inline constexpr std::string_view kHistoryTable = "schema_migrations";

struct SchemaCheck {
  std::int64_t current_version = 0;  // 0: no migration applied (or no table)
  std::int64_t required_version = 0;
  bool ok = false;      // current_version >= required_version
  std::string message;  // one line, for logs and /readyz bodies
};

// Uses an open connection (not consumed). Errors only for query failures.
[[nodiscard]] Result<SchemaCheck> check_schema_at_least(PGconn* conn, std::int64_t version);

// Opens a short-lived connection to `url`, checks, closes.
[[nodiscard]] Result<SchemaCheck> check_schema_at_least(std::string_view url, std::int64_t version,
                                                        const ConnectOptions& options = {});

}  // namespace aether::schema
