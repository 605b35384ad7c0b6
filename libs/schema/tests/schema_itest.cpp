// check_schema_at_least against a real PostgreSQL.
#include <catch2/catch.hpp>

#include "aether/devstack/postgres.hpp"
#include "aether/schema/schema.hpp"

using namespace aether::schema;

namespace {
aether::devstack::Postgres& server() {
  static auto pg = [] {
    auto started = aether::devstack::Postgres::start({});
    if (!started) FAIL("PostgreSQL did not start: " << started.error().message);
    return std::move(*started);
  }();
  return pg;
}

void exec(PGconn* conn, const char* sql) {
  PgResult r(PQexec(conn, sql));
  REQUIRE(PQresultStatus(r.get()) == PGRES_COMMAND_OK);
}
}  // namespace

TEST_CASE("no history table is version 0 with a message saying what to run") {
  auto check = check_schema_at_least(server().url(), 1);
  REQUIRE(check);
  CHECK(check->current_version == 0);
  CHECK_FALSE(check->ok);
  CHECK(check->message.find("does not exist") != std::string::npos);
  CHECK(check->message.find("aether-migration-runner up") != std::string::npos);
  auto zero = check_schema_at_least(server().url(), 0);
  REQUIRE(zero);
  CHECK(zero->ok);
}

TEST_CASE("the highest recorded version decides") {
  auto conn = connect(server().url());
  REQUIRE(conn);
  exec(conn->get(), "DROP TABLE IF EXISTS schema_migrations");
  exec(conn->get(),
       "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, name text, checksum text,"
       " applied_at timestamptz, duration_ms bigint, applied_by text)");
  exec(conn->get(), "INSERT INTO schema_migrations (version) VALUES (1), (2), (3)");
  auto at3 = check_schema_at_least(conn->get(), 3);
  REQUIRE(at3);
  CHECK(at3->ok);
  CHECK(at3->current_version == 3);
  auto need4 = check_schema_at_least(conn->get(), 4);
  REQUIRE(need4);
  CHECK_FALSE(need4->ok);
  CHECK(need4->message.find("need >= 4") != std::string::npos);
  exec(conn->get(), "DROP TABLE schema_migrations");
}

TEST_CASE("connection failures are classified") {
  std::string url = server().url();
  std::string wrong_password = url;
  wrong_password.replace(wrong_password.find(":aether@"), 8, ":nope@");
  auto auth = check_schema_at_least(wrong_password, 1);
  REQUIRE_FALSE(auth);
  CHECK(auth.error().code == Errc::kAuthFailed);
  CHECK(auth.error().message.find("nope") == std::string::npos);  // password masked

  std::string missing_db = url.substr(0, url.rfind('/')) + "/no_such_db";
  auto nodb = check_schema_at_least(missing_db, 1);
  REQUIRE_FALSE(nodb);
  CHECK(nodb.error().code == Errc::kNoDatabase);

  auto unreachable = check_schema_at_least("postgresql://aether:aether@127.0.0.1:1/aether", 1);
  REQUIRE_FALSE(unreachable);
  CHECK(unreachable.error().code == Errc::kUnreachable);
}
