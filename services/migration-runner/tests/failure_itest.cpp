// What goes wrong, against a real PostgreSQL: bad SQL, edited history, bad
// credentials, a held lock. Each must be one clear line and a distinct exit code.
#include <sstream>

#include "cli.hpp"
#include "fixture.hpp"

using namespace aether::migrate;
using namespace aether::migrate::testing;

namespace {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun run(std::vector<std::string> args, std::map<std::string, std::string> env) {
  std::ostringstream out, err;
  env.emplace("AETHER_MIGRATE_PUBLISH", "off");
  env.emplace("HOSTNAME", "cli-test");
  env.emplace("AETHER_LOG_FORMAT", "text");
  int code = run_cli(args, aether::config::map_env(std::move(env)), CliIo{out, err}, nullptr);
  return {code, out.str(), err.str()};
}

std::size_t lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

const std::string kGood = "CREATE TABLE good (id int PRIMARY KEY);\n";
const std::string kBad =
    "-- a table, then a typo\n"
    "CREATE TABLE half (id int);\n"
    "\n"
    "CREATE TABEL broken (id int);\n";

}  // namespace

TEST_CASE("a failing migration leaves the schema as it was, and the fixed one then applies") {
  ScratchDir dir;
  dir.write("0001_good.sql", kGood);
  dir.write("0002_bad.sql", kBad);
  auto failed = run({"up", "--dir", dir.path().string()}, {{"DATABASE_URL", server().url()}});
  INFO(failed.err);
  CHECK(failed.code == 7);
  CHECK(lines(failed.err) == 1);
  CHECK(failed.err.find("0002_bad.sql:4:") != std::string::npos);
  CHECK(failed.err.find("syntax error at or near \"TABEL\"") != std::string::npos);
  CHECK(failed.err.find("rolled back") != std::string::npos);
  // 0001 stays applied; nothing of 0002 exists or is recorded.
  CHECK(query_value(server().url(),
                    "SELECT string_agg(version::text, ',') FROM "
                    "schema_migrations") == "1");
  CHECK(query_value(server().url(), "SELECT to_regclass('half') IS NULL") == "t");

  // No dirty flag to clear: fix the file, run again.
  dir.write("0002_bad.sql", "CREATE TABLE half (id int);\nCREATE TABLE fixed (id int);\n");
  auto fixed = run({"up", "--dir", dir.path().string()}, {{"DATABASE_URL", server().url()}});
  INFO(fixed.err);
  CHECK(fixed.code == 0);
  CHECK(query_value(server().url(), "SELECT max(version) FROM schema_migrations") == "2");
}

TEST_CASE("a runtime error names the failing statement's line") {
  ScratchDir dir;
  dir.write("0001_rt.sql",
            "CREATE TABLE t (x int);\nINSERT INTO t VALUES (1);\n\nINSERT INTO t\n  SELECT 1/0;\n");
  Runner runner(options_for(server().url()), from_dir(dir), nullptr);
  auto r = runner.up();
  REQUIRE_FALSE(r);
  INFO(r.error().message);
  CHECK(r.error().code == Errc::kMigrationFailed);
  CHECK(r.error().message.find("0001_rt.sql:4: division by zero") != std::string::npos);
  CHECK(query_value(server().url(), "SELECT to_regclass('t') IS NULL") == "t");
}

TEST_CASE("an edited applied migration is refused by up and caught by verify") {
  ScratchDir dir;
  dir.write("0001_good.sql", kGood);
  dir.write("0002_more.sql", "CREATE TABLE more (id int);\n");
  auto first = run({"up", "--dir", dir.path().string()}, {{"DATABASE_URL", server().url()}});
  INFO(first.err);
  REQUIRE(first.code == 0);
  auto ok = run({"verify", "--dir", dir.path().string()}, {{"DATABASE_URL", server().url()}});
  CHECK(ok.code == 0);

  dir.write("0001_good.sql", "CREATE TABLE good (id bigint PRIMARY KEY);\n");
  dir.write("0003_next.sql", "CREATE TABLE next (id int);\n");
  auto up = run({"up", "--dir", dir.path().string()}, {{"DATABASE_URL", server().url()}});
  INFO(up.err);
  CHECK(up.code == 9);
  CHECK(lines(up.err) == 1);
  CHECK(up.err.find("0001_good.sql") != std::string::npos);
  CHECK(up.err.find("edited after it was applied") != std::string::npos);
  CHECK(query_value(server().url(), "SELECT to_regclass('next') IS NULL") == "t");

  auto verify = run({"verify", "--dir", dir.path().string()}, {{"DATABASE_URL", server().url()}});
  CHECK(verify.code == 9);
  CHECK(verify.err.find("edited") != std::string::npos);

  // A removed file and a late-merged lower version are drift too.
  std::filesystem::remove(dir.path() / "0001_good.sql");
  std::filesystem::remove(dir.path() / "0003_next.sql");
  dir.write("0001_good.sql", kGood);
  std::filesystem::remove(dir.path() / "0002_more.sql");
  auto missing = run({"verify", "--dir", dir.path().string()}, {{"DATABASE_URL", server().url()}});
  CHECK(missing.code == 9);
  CHECK(missing.err.find("no file has that version") != std::string::npos);

  auto status =
      run({"status", "--json", "--dir", dir.path().string()}, {{"DATABASE_URL", server().url()}});
  CHECK(status.code == 0);
  CHECK(status.out.find("\"drift\": true") != std::string::npos);
}

TEST_CASE("wrong password, missing database and unreachable server have their own exit codes") {
  std::string url = server().url();
  std::string wrong = url;
  wrong.replace(wrong.find(":aether@"), 8, ":wrong@");
  auto auth = run({"up"}, {{"DATABASE_URL", wrong}});
  CHECK(auth.code == 5);
  CHECK(lines(auth.err) == 1);
  CHECK(auth.err.find("wrong") == std::string::npos);  // the password is masked
  CHECK(auth.err.find("password authentication failed") != std::string::npos);

  auto nodb = run({"status"}, {{"DATABASE_URL", url.substr(0, url.rfind('/')) + "/nope"}});
  CHECK(nodb.code == 6);
  CHECK(lines(nodb.err) == 1);
  CHECK(nodb.err.find("database \"nope\" does not exist") != std::string::npos);

  auto down = run({"up"}, {{"DATABASE_URL", "postgresql://aether:aether@127.0.0.1:1/aether"}});
  CHECK(down.code == 4);
  CHECK(lines(down.err) == 1);
  CHECK(down.err.find("database unreachable") != std::string::npos);

  auto bad_flag = run({"up", "--lock-timeout", "soon"}, {{"DATABASE_URL", url}});
  CHECK(bad_flag.code == 2);
  CHECK(bad_flag.err.find("--lock-timeout") != std::string::npos);
}

TEST_CASE("a lock held by another session times out with a message naming the holder") {
  auto holder =
      aether::schema::connect(server().url(), {"schema-hog@test", std::chrono::seconds(5)});
  REQUIRE(holder);
  aether::schema::PgResult locked(
      PQexec(holder->get(),
             ("SELECT pg_advisory_lock(" + std::to_string(kAdvisoryLockKey) + ")").c_str()));
  REQUIRE(PQresultStatus(locked.get()) == PGRES_TUPLES_OK);
  const auto holder_pid = std::to_string(PQbackendPID(holder->get()));

  auto r = run({"up", "--lock-timeout", "1s"}, {{"DATABASE_URL", server().url()}});
  INFO(r.err);
  CHECK(r.code == 8);
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("pid " + holder_pid) != std::string::npos);
  CHECK(r.err.find("schema-hog@test") != std::string::npos);
  CHECK(r.err.find("from 127.0.0.1") != std::string::npos);
  CHECK(r.err.find("connected since") != std::string::npos);
  CHECK(query_value(server().url(), "SELECT to_regclass('schema_migrations') IS NULL") == "t");

  holder.value().reset();  // session ends: the lock goes with it
  auto after = run({"up", "--lock-timeout", "10s"}, {{"DATABASE_URL", server().url()}});
  CHECK(after.code == 0);
}

TEST_CASE("help, version and check-config work without a database") {
  auto help = run({"--help"}, {});
  CHECK(help.code == 0);
  CHECK(help.out.find("status") != std::string::npos);
  auto version = run({"--version"}, {});
  CHECK(version.code == 0);
  CHECK(version.out.find("aether-migration-runner") != std::string::npos);
  auto check = run({"--check-config"},
                   {{"DATABASE_URL", "postgresql://u:secret@db/x"}, {"POD_NAME", "p-1"}});
  CHECK(check.code == 0);
  CHECK(check.out.find("secret") == std::string::npos);
  CHECK(check.out.find("POD_NAME=p-1") != std::string::npos);
  auto bad = run({"--check-config"}, {{"AETHER_MIGRATE_STATEMENT_TIMEOUT", "forever"}});
  CHECK(bad.code == 3);
  CHECK(bad.err.find("AETHER_MIGRATE_STATEMENT_TIMEOUT") != std::string::npos);
}

TEST_CASE("a migration blocked by a long transaction gives up after lock_timeout") {
  ScratchDir dir;
  dir.write("0001_good.sql", kGood);
  REQUIRE(run({"up", "--dir", dir.path().string()}, {{"DATABASE_URL", server().url()}}).code == 0);
  // Another session reads the table inside an open transaction: its
  // ACCESS SHARE lock blocks the ALTER's ACCESS EXCLUSIVE.
  auto reader = aether::schema::connect(server().url());
  REQUIRE(reader);
  aether::schema::PgResult begin(PQexec(reader->get(), "BEGIN; SELECT * FROM good"));
  REQUIRE(PQresultStatus(begin.get()) == PGRES_TUPLES_OK);

  dir.write("0002_alter.sql", "-- blocked\nALTER TABLE good ADD COLUMN note text;\n");
  auto blocked = run({"up", "--dir", dir.path().string(), "--pg-lock-timeout", "300ms"},
                     {{"DATABASE_URL", server().url()}});
  INFO(blocked.err);
  CHECK(blocked.code == 7);
  CHECK(lines(blocked.err) == 1);
  CHECK(blocked.err.find("0002_alter.sql:2:") != std::string::npos);
  CHECK(blocked.err.find("lock_timeout (300 ms)") != std::string::npos);

  aether::schema::PgResult end(PQexec(reader->get(), "COMMIT"));
  auto after = run({"up", "--dir", dir.path().string()}, {{"DATABASE_URL", server().url()}});
  CHECK(after.code == 0);
  CHECK(query_value(server().url(), "SELECT max(version) FROM schema_migrations") == "2");
}

TEST_CASE("status, plan and verify print what an operator needs") {
  ScratchDir dir;
  dir.write("0001_good.sql", kGood);
  dir.write("0002_more.sql", "CREATE TABLE more (id int);\n");
  dir.write("0003_idx.sql",
            "-- aether:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS more_id ON more "
            "(id);\n");
  const std::map<std::string, std::string> env = {{"DATABASE_URL", server().url()}};
  auto plan = run({"plan", "--dir", dir.path().string(), "--to", "2"}, env);
  CHECK(plan.code == 0);
  CHECK(plan.out.find("0001 good") != std::string::npos);
  CHECK(plan.out.find("0003") == std::string::npos);
  REQUIRE(run({"up", "--dir", dir.path().string(), "--to", "2"}, env).code == 0);

  auto table = run({"status", "--dir", dir.path().string()}, env);
  CHECK(table.code == 0);
  CHECK(table.out.find("applied") != std::string::npos);
  CHECK(table.out.find("cli-test") != std::string::npos);
  CHECK(table.out.find("current version 2, latest 3, 1 pending") != std::string::npos);

  auto plan_rest = run({"plan", "--dir", dir.path().string()}, env);
  CHECK(plan_rest.out.find("0003 idx (outside a transaction") != std::string::npos);
  REQUIRE(run({"up", "--dir", dir.path().string()}, env).code == 0);
  auto verify = run({"verify", "--dir", dir.path().string()}, env);
  CHECK(verify.code == 0);
  CHECK(verify.out.find("ok: 3 applied") != std::string::npos);
  auto json = run({"status", "--json", "--dir", dir.path().string()}, env);
  CHECK(json.out.find("\"current_version\": 3") != std::string::npos);
  CHECK(json.out.find("\"drift\": false") != std::string::npos);
}
