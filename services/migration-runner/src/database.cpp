#include "database.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <thread>

#include "pg_error.hpp"

namespace aether::migrate {
namespace {

using schema::PgResult;

constexpr const char* kCreateHistory =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version bigint PRIMARY KEY CHECK (version > 0),"
    " name text NOT NULL,"
    " checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),"
    " applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
    " duration_ms bigint NOT NULL CHECK (duration_ms >= 0),"
    " applied_by text NOT NULL)";

void log_notice(void*, const char* message) {
  spdlog::info("postgres: {}", schema::one_line(message));
}

std::int64_t to_int(const char* text) {
  std::int64_t v = 0;
  std::string_view s(text);
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

Errc from_schema_errc(schema::Errc code) {
  switch (code) {
    case schema::Errc::kUnreachable:
      return Errc::kUnreachable;
    case schema::Errc::kAuthFailed:
      return Errc::kAuthFailed;
    case schema::Errc::kNoDatabase:
      return Errc::kNoDatabase;
    case schema::Errc::kBadUrl:
      return Errc::kBadConfig;
    case schema::Errc::kConnectFailed:
      return Errc::kUnreachable;
    default:
      return Errc::kDatabase;
  }
}

Result<MigrationDatabase> MigrationDatabase::connect(const std::string& url,
                                                     const std::string& application_name,
                                                     std::chrono::seconds connect_timeout) {
  auto conn = schema::connect(url, {application_name, connect_timeout});
  if (!conn) return make_error(from_schema_errc(conn.error().code), conn.error().message);
  PQsetNoticeProcessor(conn->get(), log_notice, nullptr);
  // Times are formatted AT TIME ZONE 'UTC' in the queries themselves, so no
  // session setting (and no extra round trip) is needed.
  MigrationDatabase db(std::move(*conn));
  return db;
}

Result<void> MigrationDatabase::exec(const char* sql, const char* what) {
  PgResult res(PQexec(conn_.get(), sql));
  auto status = PQresultStatus(res.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return make_error(Errc::kDatabase,
                      std::string(what) + " failed: " + describe_pg_error(conn_.get(), res.get()));
  }
  return {};
}

Result<std::vector<AppliedRecord>> MigrationDatabase::read_history() {
  PgResult exists(PQexec(conn_.get(), "SELECT to_regclass('schema_migrations') IS NOT NULL"));
  if (PQresultStatus(exists.get()) != PGRES_TUPLES_OK) {
    return make_error(Errc::kDatabase, "reading schema_migrations failed: " +
                                           describe_pg_error(conn_.get(), exists.get()));
  }
  std::vector<AppliedRecord> out;
  if (std::string_view(PQgetvalue(exists.get(), 0, 0)) != "t") return out;
  PgResult res(
      PQexec(conn_.get(),
             "SELECT version, name, checksum,"
             " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
             " duration_ms, applied_by FROM schema_migrations ORDER BY version"));
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
    return make_error(Errc::kDatabase, "reading schema_migrations failed: " +
                                           describe_pg_error(conn_.get(), res.get()));
  }
  for (int i = 0; i < PQntuples(res.get()); ++i) {
    out.push_back(AppliedRecord{to_int(PQgetvalue(res.get(), i, 0)), PQgetvalue(res.get(), i, 1),
                                PQgetvalue(res.get(), i, 2), PQgetvalue(res.get(), i, 3),
                                to_int(PQgetvalue(res.get(), i, 4)), PQgetvalue(res.get(), i, 5)});
  }
  return out;
}

Result<void> MigrationDatabase::ensure_history_table() {
  return exec(kCreateHistory, "creating schema_migrations");
}

Result<void> MigrationDatabase::acquire_lock(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  const std::string sql = "SELECT pg_try_advisory_lock(" + std::to_string(kAdvisoryLockKey) + ")";
  bool announced = false;
  for (;;) {
    PgResult res(PQexec(conn_.get(), sql.c_str()));
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
      return make_error(Errc::kDatabase, "taking the migration lock failed: " +
                                             describe_pg_error(conn_.get(), res.get()));
    }
    if (std::string_view(PQgetvalue(res.get(), 0, 0)) == "t") return {};
    if (!announced) {
      spdlog::info("waiting up to {} ms for the migration lock held by {}", wait.count(),
                   describe_lock_holder());
      announced = true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(Errc::kLockTimeout,
                        "migration lock not acquired within " + std::to_string(wait.count()) +
                            " ms (--lock-timeout); held by " + describe_lock_holder());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Result<void> MigrationDatabase::release_lock() {
  const std::string sql = "SELECT pg_advisory_unlock(" + std::to_string(kAdvisoryLockKey) + ")";
  return exec(sql.c_str(), "releasing the migration lock");
}

std::string MigrationDatabase::describe_lock_holder() {
  const std::string classid = std::to_string(static_cast<std::uint64_t>(kAdvisoryLockKey) >> 32);
  const std::string objid =
      std::to_string(static_cast<std::uint64_t>(kAdvisoryLockKey) & 0xffffffffu);
  std::array<const char*, 2> params = {classid.c_str(), objid.c_str()};
  PgResult res(PQexecParams(
      conn_.get(),
      "SELECT a.pid, coalesce(nullif(a.application_name, ''), '(no application_name)'),"
      " coalesce(host(a.client_addr), 'a local socket'),"
      " to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " extract(epoch FROM now() - a.backend_start)::bigint,"
      " coalesce(a.state, 'unknown'), left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', "
      "'g'), 80)"
      " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
      " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
      " AND l.classid = $1::oid AND l.objid = $2::oid"
      " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      2, nullptr, params.data(), nullptr, nullptr, 0));
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
    return "an unknown session (pg_locks unreadable: " + describe_pg_error(conn_.get(), res.get()) +
           ")";
  }
  if (PQntuples(res.get()) == 0) return "an unknown session (it released the lock meanwhile)";
  auto v = [&](int col) { return std::string(PQgetvalue(res.get(), 0, col)); };
  return "pid " + v(0) + " (" + v(1) + ") from " + v(2) + ", connected since " + v(3) + " (" +
         v(4) + "s ago), " + v(5) + (v(6).empty() ? "" : ", last query: " + v(6));
}

}  // namespace aether::migrate
