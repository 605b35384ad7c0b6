// Error values and process exit codes of the migration runner.
#pragma once

#include <expected>
#include <string>

namespace aether::migrate {

// Each code maps to a distinct process exit code (see exit_code() and the
// README's table), so a Job's status says what went wrong without logs.
// The enumerators' order is the exit code order: append, never reorder.
enum class Errc {
  kInternal,         // 1: a bug or an unexpected state
  kBadConfig,        // 2: bad flag value or --to target (usage)
  kInvalidConfig,    // 3: bad environment value, e.g. an unparsable DATABASE_URL
  kUnreachable,      // 4: no database server answered
  kAuthFailed,       // 5: the server rejected the credentials
  kNoDatabase,       // 6: the database in DATABASE_URL does not exist
  kMigrationFailed,  // 7: a migration's SQL failed (rolled back, nothing recorded)
  kLockTimeout,      // 8: another runner held the advisory lock past --lock-timeout
  kDrift,            // 9: applied migration edited or missing, or history out of order
  kBadSource,        // 10: migration files invalid (name, duplicate version, unreadable)
  kPublishFailed,    // 11: schema applied, but aether.evt.schema.migrated not published
  kDatabase,         // 12: any other database error (permissions, lost connection)
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> make_error(Errc code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

// 0 success; 1-3 follow libs/config (failure, usage, invalid configuration).
[[nodiscard]] constexpr int exit_code(Errc code) { return static_cast<int>(code) + 1; }

}  // namespace aether::migrate
