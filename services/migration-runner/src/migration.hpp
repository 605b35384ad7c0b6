// Migration files: naming, checksums, header flags, loading and ordering.
//
// A migration is one SQL file named NNNN_name.sql (version: 4+ digits, name:
// lower-case letters, digits, underscores). The set compiled into the binary
// is the default source; --dir points at another directory. Pure value types,
// no I/O except load_migrations_from_dir().
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "errors.hpp"

namespace aether::migrate {

struct Migration {
  std::int64_t version = 0;
  std::string name;             // "initial_schema"
  std::string file;             // "0001_initial_schema.sql"
  std::string origin;           // where it came from, for messages: a path or "embedded:<file>"
  std::string sql;              // file contents as read
  std::string checksum;         // sha256 hex of the contents (CRLF folded to LF)
  bool no_transaction = false;  // header "-- aether:no-transaction"
};

struct ParsedName {
  std::int64_t version = 0;
  std::string name;
};

// "0001_initial.sql" -> {1, "initial"}; an error names the rule broken.
[[nodiscard]] Result<ParsedName> parse_migration_filename(std::string_view file);

// sha256 (lower-case hex) of `sql` with every CRLF folded to LF, so a checkout
// with autocrlf does not look like an edited migration.
[[nodiscard]] std::string migration_checksum(std::string_view sql);

// True when the leading comment block (before the first statement) has a line
// "-- aether:no-transaction".
[[nodiscard]] bool has_no_transaction_header(std::string_view sql);

// Builds a Migration from a name and contents (validates name and header use).
[[nodiscard]] Result<Migration> make_migration(std::string_view file, std::string origin,
                                               std::string sql);

// Sorts by version and rejects duplicate versions.
[[nodiscard]] Result<std::vector<Migration>> order_migrations(std::vector<Migration> migrations);

// Every *.sql in `dir` (other files are ignored; a *.sql with a bad name is an
// error, not silently skipped).
[[nodiscard]] Result<std::vector<Migration>> load_migrations_from_dir(
    const std::filesystem::path& dir);

// The migrations compiled into this binary.
[[nodiscard]] Result<std::vector<Migration>> load_embedded_migrations();

}  // namespace aether::migrate
