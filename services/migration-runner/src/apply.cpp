// MigrationDatabase::apply: one migration, all or nothing.
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

#include "database.hpp"
#include "pg_error.hpp"
#include "sql_text.hpp"

namespace aether::migrate {
namespace {

using schema::PgResult;

std::string timeouts_sql(const SqlTimeouts& t, bool local) {
  const std::string set = local ? "SET LOCAL " : "SET ";
  return set + "lock_timeout = '" + std::to_string(t.lock_timeout.count()) + "ms'; " + set +
         "statement_timeout = '" + std::to_string(t.statement_timeout.count()) + "ms'";
}

}  // namespace

Result<void> MigrationDatabase::run_statements(const Migration& m, const SqlTimeouts& timeouts) {
  std::string_view sql = m.sql;
  for (const auto& st : split_statements(sql)) {
    // Each statement on its own (as psql -f does), so an error without a
    // position still names the statement's line.
    std::string text(sql.substr(st.offset, st.length));
    PgResult res(PQexec(conn_.get(), text.c_str()));
    auto status = PQresultStatus(res.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) continue;
    const std::string where = m.origin + ":" + std::to_string(line_of_offset(sql, st.offset));
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
      // Leave COPY mode so the ROLLBACK that follows can run.
      if (status == PGRES_COPY_IN) (void)PQputCopyEnd(conn_.get(), "not supported");
      while (PgResult rest{PQgetResult(conn_.get())}) {
      }
      return make_error(Errc::kMigrationFailed,
                        where + ": COPY to/from STDIN is not supported in migrations");
    }
    if (PQstatus(conn_.get()) == CONNECTION_BAD) {
      return make_error(Errc::kDatabase, where + ": connection to the database lost: " +
                                             describe_pg_error(conn_.get(), res.get()));
    }
    std::size_t offset = st.offset;
    if (auto pos = pg_error_position(res.get())) {
      offset += byte_offset_of_char_position(text, *pos);
    }
    std::string message = describe_pg_error(conn_.get(), res.get());
    const char* state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
    const std::string_view sqlstate = state != nullptr ? state : "";
    if (sqlstate == "55P03") {
      message += "; lock_timeout (" + std::to_string(timeouts.lock_timeout.count()) +
                 " ms) expired waiting for a lock another transaction holds: retry when it is "
                 "done, or raise --pg-lock-timeout";
    } else if (sqlstate == "57014" && message.find("statement timeout") != std::string::npos) {
      message += "; statement_timeout (" + std::to_string(timeouts.statement_timeout.count()) +
                 " ms) expired: raise --statement-timeout, or backfill outside the migration";
    }
    return make_error(
        Errc::kMigrationFailed,
        m.origin + ":" + std::to_string(line_of_offset(sql, offset)) + ": " + message);
  }
  return {};
}

Result<std::int64_t> MigrationDatabase::apply(const Migration& m, const SqlTimeouts& timeouts,
                                              const std::string& applied_by) {
  const auto start = std::chrono::steady_clock::now();
  const std::string what = "migration " + std::to_string(m.version) + " (" + m.name + ")";
  auto fail = [&](Error e) -> Result<std::int64_t> {
    if (!m.no_transaction) {
      PgResult rb(PQexec(conn_.get(), "ROLLBACK"));
      e.message += "; rolled back, nothing recorded";
    } else {
      PgResult reset(PQexec(conn_.get(), "RESET lock_timeout; RESET statement_timeout"));
      e.message += "; ran outside a transaction (-- aether:no-transaction), nothing recorded";
    }
    e.message = what + " failed: " + e.message;
    return std::unexpected(std::move(e));
  };

  if (!m.no_transaction) {
    if (auto r = exec("BEGIN", "BEGIN"); !r) return fail(r.error());
  }
  const std::string set = timeouts_sql(timeouts, !m.no_transaction);
  if (auto r = exec(set.c_str(), "setting lock_timeout/statement_timeout"); !r) {
    return fail(r.error());
  }
  if (auto r = run_statements(m, timeouts); !r) return fail(r.error());
  const auto duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();

  const std::string version = std::to_string(m.version);
  const std::string duration = std::to_string(duration_ms);
  std::array<const char*, 5> params = {version.c_str(), m.name.c_str(), m.checksum.c_str(),
                                       duration.c_str(), applied_by.c_str()};
  PgResult ins(PQexecParams(conn_.get(),
                            "INSERT INTO schema_migrations (version, name, checksum, duration_ms,"
                            " applied_by) VALUES ($1, $2, $3, $4, $5)",
                            5, nullptr, params.data(), nullptr, nullptr, 0));
  if (PQresultStatus(ins.get()) != PGRES_COMMAND_OK) {
    return fail(Error{Errc::kDatabase, "recording it in schema_migrations: " +
                                           describe_pg_error(conn_.get(), ins.get())});
  }
  if (m.no_transaction) {
    if (auto r = exec("RESET lock_timeout; RESET statement_timeout", "resetting timeouts"); !r) {
      return std::unexpected(r.error());
    }
  } else {
    // COMMIT can still fail (deferred constraints, serialization).
    PgResult commit(PQexec(conn_.get(), "COMMIT"));
    if (PQresultStatus(commit.get()) != PGRES_COMMAND_OK) {
      return make_error(Errc::kMigrationFailed, what + " failed at COMMIT: " +
                                                    describe_pg_error(conn_.get(), commit.get()) +
                                                    "; rolled back, nothing recorded");
    }
  }
  return duration_ms;
}

}  // namespace aether::migrate
