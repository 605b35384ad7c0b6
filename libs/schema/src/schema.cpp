#include "aether/schema/schema.hpp"

#include <charconv>
#include <string>

namespace aether::schema {

Result<SchemaCheck> check_schema_at_least(PGconn* conn, std::int64_t version) {
  SchemaCheck check;
  check.required_version = version;
  // to_regclass follows search_path exactly like the runner's unqualified
  // table name does, and returns NULL instead of failing when it is absent.
  PgResult res(PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL"));
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
    return std::unexpected(
        Error{Errc::kQueryFailed, "schema check failed: " + one_line(PQerrorMessage(conn))});
  }
  bool has_table = std::string_view(PQgetvalue(res.get(), 0, 0)) == "t";
  if (has_table) {
    PgResult max(PQexec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations"));
    if (PQresultStatus(max.get()) != PGRES_TUPLES_OK) {
      return std::unexpected(Error{Errc::kQueryFailed, "schema check failed reading " +
                                                           std::string(kHistoryTable) + ": " +
                                                           one_line(PQerrorMessage(conn))});
    }
    std::string_view text = PQgetvalue(max.get(), 0, 0);
    std::from_chars(text.data(), text.data() + text.size(), check.current_version);
  }
  check.ok = check.current_version >= version;
  if (!has_table) {
    check.message = "schema version 0 (table schema_migrations does not exist), need >= " +
                    std::to_string(version) + ": run `aether-migration-runner up`";
  } else if (!check.ok) {
    check.message = "schema version " + std::to_string(check.current_version) +
                    ", need >= " + std::to_string(version) + ": run `aether-migration-runner up`";
  } else {
    check.message = "schema version " + std::to_string(check.current_version) +
                    " (need >= " + std::to_string(version) + ")";
  }
  return check;
}

Result<SchemaCheck> check_schema_at_least(std::string_view url, std::int64_t version,
                                          const ConnectOptions& options) {
  auto conn = connect(url, options);
  if (!conn) return std::unexpected(conn.error());
  return check_schema_at_least(conn->get(), version);
}

}  // namespace aether::schema
