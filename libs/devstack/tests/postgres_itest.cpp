// Postgres against the real PostgreSQL server, checked with libpq.
#include <libpq-fe.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "aether/devstack/net.hpp"
#include "aether/devstack/postgres.hpp"
#include "aether/devstack/state_dir.hpp"
#include "aether/process/process.hpp"

using aether::devstack::Errc;
using aether::devstack::Postgres;

namespace {

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
using Res = std::unique_ptr<PGresult, ResultDeleter>;

Conn connect(const std::string& url) {
  Conn conn(PQconnectdb(url.c_str()));
  INFO("connect " << url << ": " << PQerrorMessage(conn.get()));
  REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);
  return conn;
}

std::string query_one(PGconn* conn, const std::string& sql) {
  Res res(PQexec(conn, sql.c_str()));
  INFO(sql << ": " << PQerrorMessage(conn));
  REQUIRE(PQresultStatus(res.get()) == PGRES_TUPLES_OK);
  REQUIRE(PQntuples(res.get()) == 1);
  return PQgetvalue(res.get(), 0, 0);
}

void exec(PGconn* conn, const std::string& sql) {
  Res res(PQexec(conn, sql.c_str()));
  INFO(sql << ": " << PQerrorMessage(conn));
  REQUIRE(PQresultStatus(res.get()) == PGRES_COMMAND_OK);
}

Postgres start(Postgres::Options options = {}) {
  auto pg = Postgres::start(std::move(options));
  INFO((pg ? std::string() : pg.error().message));
  REQUIRE(pg.has_value());
  return std::move(*pg);
}

}  // namespace

TEST_CASE("Postgres serves the aether role and database over TCP", "[postgres]") {
  auto pg = start();
  CHECK(pg.url() ==
        "postgresql://aether:aether@127.0.0.1:" + std::to_string(pg.port()) + "/aether");
  auto conn = connect(pg.url());
  CHECK(query_one(conn.get(), "SELECT 1") == "1");
  CHECK(query_one(conn.get(), "SELECT current_user") == "aether");
  CHECK(query_one(conn.get(), "SELECT current_database()") == "aether");

  auto admin = connect(pg.admin_url());
  CHECK(query_one(admin.get(),
                  "SELECT rolsuper::text FROM pg_roles WHERE rolname = "
                  "current_user") == "true");
}

TEST_CASE("Postgres refuses a wrong password", "[postgres]") {
  auto pg = start();
  const std::string bad =
      "postgresql://aether:wrong@127.0.0.1:" + std::to_string(pg.port()) + "/aether";
  Conn conn(PQconnectdb(bad.c_str()));
  CHECK(PQstatus(conn.get()) == CONNECTION_BAD);
  CHECK_THAT(std::string(PQerrorMessage(conn.get())),
             Catch::Contains("password authentication failed"));
}

TEST_CASE("Two Postgres instances run at once on different ports", "[postgres]") {
  auto a = start();
  auto b = start();
  CHECK(a.port() != b.port());
  auto ca = connect(a.url());
  auto cb = connect(b.url());
  exec(ca.get(), "CREATE TABLE only_in_a (x int)");
  CHECK(query_one(cb.get(), "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'") == "0");
}

TEST_CASE("Postgres stop leaves no process and restart keeps port and data", "[postgres]") {
  auto pg = start();
  exec(connect(pg.url()).get(), "CREATE TABLE kept (x int)");
  const pid_t pid = pg.pid();
  const int port = pg.port();
  REQUIRE(pg.stop().has_value());
  CHECK_FALSE(aether::process::pid_alive(pid));
  CHECK_FALSE(aether::devstack::tcp_port_open(port));

  auto restarted = pg.restart();
  INFO((restarted ? std::string() : restarted.error().message));
  REQUIRE(restarted.has_value());
  CHECK(pg.port() == port);
  CHECK(query_one(connect(pg.url()).get(),
                  "SELECT count(*) FROM pg_tables WHERE tablename = 'kept'") == "1");
}

TEST_CASE("Postgres reuses a configured state dir across instances", "[postgres]") {
  auto dir = aether::devstack::StateDir::open("", "aether-pg-itest");
  REQUIRE(dir.has_value());
  std::filesystem::permissions(dir->path(), std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
  Postgres::Options options;
  options.state_dir = (dir->path() / "pg").string();
  {
    auto pg = start(options);
    exec(connect(pg.url()).get(), "CREATE TABLE survives (x int)");
  }
  CHECK(std::filesystem::exists(dir->path() / "pg" / "data" / "PG_VERSION"));
  auto again = start(options);
  CHECK(query_one(connect(again.url()).get(),
                  "SELECT count(*) FROM pg_tables WHERE tablename = 'survives'") == "1");
}

TEST_CASE("Postgres names a state dir the postgres user cannot reach", "[postgres]") {
  auto dir = aether::devstack::StateDir::open("", "aether-pg-itest");  // mode 0700
  REQUIRE(dir.has_value());
  Postgres::Options options;
  options.state_dir = (dir->path() / "pg").string();
  auto pg = Postgres::start(options);
  REQUIRE_FALSE(pg.has_value());
  INFO(pg.error().message);
  CHECK(pg.error().code == Errc::kInvalidArgument);
  CHECK_THAT(pg.error().message, Catch::Contains(dir->path().string()));
}

TEST_CASE("Postgres rejects bad options by name", "[postgres]") {
  Postgres::Options empty_user;
  empty_user.user = "";
  auto a = Postgres::start(empty_user);
  REQUIRE_FALSE(a.has_value());
  CHECK(a.error().code == Errc::kInvalidArgument);
  CHECK_THAT(a.error().message, Catch::Contains("PostgresOptions::user"));

  Postgres::Options bad_bin;
  bad_bin.bin_dir = "/nonexistent";
  auto b = Postgres::start(bad_bin);
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().code == Errc::kNotFound);
}
