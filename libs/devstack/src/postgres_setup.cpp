// The login role and database a fresh cluster needs, created over the Unix
// socket as the superuser (trust auth there; passwords on TCP).
#include <string>

#include "aether/devstack/postgres.hpp"
#include "pg_handles.hpp"

namespace aether::devstack {
namespace {

Result<detail::PgResult> exec(PGconn* conn, const std::string& sql) {
  detail::PgResult res(PQexec(conn, sql.c_str()));
  auto status = PQresultStatus(res.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return make_error(Errc::kSetupFailed, "postgres setup: '" +
                                              sql.substr(0, sql.find(" PASSWORD")) +
                                              "' failed: " + PQerrorMessage(conn));
  }
  return res;
}

std::string literal(PGconn* conn, const std::string& text) {
  char* quoted = PQescapeLiteral(conn, text.c_str(), text.size());
  std::string out = quoted ? quoted : "''";
  PQfreemem(quoted);
  return out;
}

std::string identifier(PGconn* conn, const std::string& text) {
  char* quoted = PQescapeIdentifier(conn, text.c_str(), text.size());
  std::string out = quoted ? quoted : "\"\"";
  PQfreemem(quoted);
  return out;
}

}  // namespace

Result<void> Postgres::ensure_role_and_database() {
  detail::PgConn conn(PQconnectdb(socket_conninfo().c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return make_error(Errc::kSetupFailed,
                      "postgres setup: cannot connect as superuser over the Unix socket: " +
                          std::string(PQerrorMessage(conn.get())));
  }
  PGconn* c = conn.get();
  const std::string role = identifier(c, options_.user);
  auto has_role = exec(c, "SELECT 1 FROM pg_roles WHERE rolname = " + literal(c, options_.user));
  if (!has_role) return std::unexpected(has_role.error());
  // ALTER on an existing role so a changed password in Options takes effect.
  const std::string verb = PQntuples(has_role->get()) == 0 ? "CREATE" : "ALTER";
  if (auto ok =
          exec(c, verb + " ROLE " + role + " LOGIN PASSWORD " + literal(c, options_.password));
      !ok) {
    return std::unexpected(ok.error());
  }
  auto has_db =
      exec(c, "SELECT 1 FROM pg_database WHERE datname = " + literal(c, options_.database));
  if (!has_db) return std::unexpected(has_db.error());
  if (PQntuples(has_db->get()) == 0) {
    if (auto ok = exec(c, "CREATE DATABASE " + identifier(c, options_.database) + " OWNER " + role);
        !ok) {
      return std::unexpected(ok.error());
    }
  }
  return {};
}

}  // namespace aether::devstack
