// Error values and process exit codes of the migration runner.
#pragma once

#include <expected>
#include <string>

namespace aether::migrate {

// Each code maps to a distinct process exit code (see exit_code() and the
// README's table), so a Job's status says what went wrong without logs.
enum class Errc {
  kInternal,         // 1: a bug or an unexpected state
  kBadConfig,        // 2: bad flag / environment value / --to target
  kUnreachable,      // 3: no database server answered
  kAuthFailed,       // 4: the server rejected the credentials
  kNoDatabase,       // 5: the database in DATABASE_URL does not exist
  kMigrationFailed,  // 6: a migration's SQL failed (rolled back, nothing recorded)
  kLockTimeout,      // 7: another runner held the advisory lock past --lock-timeout
  kDrift,            // 8: applied migration edited or missing, or history out of order
  kBadSource,        // 9: migration files invalid (name, duplicate version, unreadable)
  kPublishFailed,    // 10: schema applied, but aether.evt.schema.migrated not published
  kDatabase,         // 11: any other database error (permissions, lost connection)
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

[[nodiscard]] constexpr int exit_code(Errc code) {
  switch (code) {
    case Errc::kInternal:
      return 1;
    case Errc::kBadConfig:
      return 2;
    case Errc::kUnreachable:
      return 3;
    case Errc::kAuthFailed:
      return 4;
    case Errc::kNoDatabase:
      return 5;
    case Errc::kMigrationFailed:
      return 6;
    case Errc::kLockTimeout:
      return 7;
    case Errc::kDrift:
      return 8;
    case Errc::kBadSource:
      return 9;
    case Errc::kPublishFailed:
      return 10;
    case Errc::kDatabase:
      return 11;
  }
  return 1;
}

}  // namespace aether::migrate
