// libs/pg against a real PostgreSQL (devstack): queries, typed errors, the
// pool's bound, broken connections replaced, a server restart survived.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "aether/devstack/postgres.hpp"
#include "aether/pg/pool.hpp"

using namespace aether;
using namespace std::chrono_literals;

namespace {

devstack::Postgres& server() {
  static auto pg = [] {
    auto started = devstack::Postgres::start({});
    if (!started) FAIL("PostgreSQL did not start: " << started.error().message);
    return std::move(*started);
  }();
  return pg;
}

pg::PoolOptions options(int size = 2) {
  return {.url = server().url(),
          .size = size,
          .acquire_timeout = 300ms,
          .statement_timeout = 500ms,
          .application_name = "pg-itest"};
}

}  // namespace

TEST_CASE("parameterised queries - NULLs and arrays round-trip", "[pg]") {
  pg::Pool pool(options());
  auto rows = pool.query("SELECT $1::text, $2::bigint, $3::text IS NULL, $4::text[], 't'::boolean",
                         {"it's", "42", std::nullopt, pg::text_array_literal({"a", "b,c"})});
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK(rows->text(0, 0) == "it's");
  CHECK(rows->int64(0, 1) == 42);
  CHECK(rows->boolean(0, 2));
  CHECK(rows->text_array(0, 3) == std::vector<std::string>{"a", "b,c"});
  CHECK(rows->opt_bool(0, 4) == true);
  auto tz = pool.query("SELECT current_setting('TimeZone'), current_setting('statement_timeout')");
  REQUIRE(tz);
  CHECK(tz->text(0, 0) == "UTC");
  CHECK(tz->text(0, 1) == "500ms");
}

TEST_CASE("errors are typed: conflict - invalid - timeout - bug", "[pg]") {
  pg::Pool pool(options());
  REQUIRE(pool.query("DROP TABLE IF EXISTS pg_itest_t"));
  REQUIRE(pool.query("CREATE TABLE pg_itest_t (id int PRIMARY KEY, n int CHECK (n >= 0))"));
  REQUIRE(pool.query("INSERT INTO pg_itest_t VALUES (1, 1)"));

  auto dup = pool.query("INSERT INTO pg_itest_t VALUES (1, 2)");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == pg::Errc::kConflict);
  CHECK(dup.error().constraint == "pg_itest_t_pkey");
  CHECK(dup.error().message.find("23505") != std::string::npos);

  auto neg = pool.query("INSERT INTO pg_itest_t VALUES (2, -1)");
  REQUIRE_FALSE(neg);
  CHECK(neg.error().code == pg::Errc::kInvalid);
  CHECK(neg.error().constraint == "pg_itest_t_n_check");

  auto bad_input = pool.query("SELECT $1::uuid", {"not-a-uuid"});
  REQUIRE_FALSE(bad_input);
  CHECK(bad_input.error().code == pg::Errc::kInvalid);

  auto slow = pool.query("SELECT pg_sleep(2)");
  REQUIRE_FALSE(slow);
  CHECK(slow.error().code == pg::Errc::kTimeout);

  auto typo = pool.query("SELEC 1");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().code == pg::Errc::kBug);
  // The connections are still usable after each of those.
  CHECK(pool.query("SELECT 1"));
}

TEST_CASE("a transaction commits - and rolls back when its body fails", "[pg]") {
  pg::Pool pool(options());
  REQUIRE(pool.query("DROP TABLE IF EXISTS pg_itest_tx"));
  REQUIRE(pool.query("CREATE TABLE pg_itest_tx (id int PRIMARY KEY)"));
  auto ok = pool.transaction([](pg::Connection& c) -> pg::Result<int> {
    if (auto r = c.exec("INSERT INTO pg_itest_tx VALUES (1)"); !r)
      return std::unexpected(r.error());
    if (auto r = c.exec("INSERT INTO pg_itest_tx VALUES (2)"); !r)
      return std::unexpected(r.error());
    return 2;
  });
  REQUIRE(ok);
  CHECK(*ok == 2);
  auto failed = pool.transaction([](pg::Connection& c) -> pg::Result<int> {
    if (auto r = c.exec("INSERT INTO pg_itest_tx VALUES (3)"); !r)
      return std::unexpected(r.error());
    auto dup = c.exec("INSERT INTO pg_itest_tx VALUES (1)");
    if (!dup) return std::unexpected(dup.error());
    return 1;
  });
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == pg::Errc::kConflict);
  auto count = pool.query("SELECT count(*) FROM pg_itest_tx");
  REQUIRE(count);
  CHECK(count->int64(0, 0) == 2);  // row 3 rolled back
}

TEST_CASE("the pool never opens more than its size and times out acquiring", "[pg]") {
  pg::Pool pool(options(2));
  auto a = pool.acquire();
  auto b = pool.acquire();
  REQUIRE(a);
  REQUIRE(b);
  auto c = pool.acquire();
  REQUIRE_FALSE(c);
  CHECK(c.error().code == pg::Errc::kUnavailable);
  CHECK(c.error().message.find("AETHER_PG_POOL_SIZE=2") != std::string::npos);
  CHECK(pool.stats().open == 2);
  CHECK(pool.stats().acquire_timeouts == 1);

  // A waiter gets the connection another thread returns meanwhile.
  pg::Pool slow_pool({.url = server().url(), .size = 1, .acquire_timeout = 5s});
  auto held = slow_pool.acquire();
  REQUIRE(held);
  std::atomic<bool> got{false};
  std::thread waiter([&] { got = slow_pool.acquire().has_value(); });
  std::this_thread::sleep_for(100ms);
  { auto returned = std::move(*held); }
  waiter.join();
  CHECK(got);
  CHECK(slow_pool.stats().opened == 1);
}

TEST_CASE("a killed connection is replaced and the query retried", "[pg]") {
  pg::Pool pool(options(1));
  auto pid = pool.query("SELECT pg_backend_pid()");
  REQUIRE(pid);
  auto admin = pg::Connection::open(server().admin_url(), "pg-itest-admin", 3s, 0ms);
  REQUIRE(admin);
  REQUIRE(admin->exec("SELECT pg_terminate_backend($1::int)", {pid->str(0, 0)}));
  std::this_thread::sleep_for(100ms);
  // The idle connection died; the statement is retried on a new one.
  auto again = pool.query("SELECT pg_backend_pid()");
  INFO((again ? "" : again.error().message));
  REQUIRE(again);
  CHECK(again->str(0, 0) != pid->str(0, 0));
  CHECK(pool.stats().opened == 2);
  CHECK(pool.stats().dropped_broken == 1);
}

TEST_CASE("database down is kUnavailable - and the pool recovers when it is back", "[pg]") {
  pg::Pool pool(options(2));
  REQUIRE(pool.query("SELECT 1"));
  REQUIRE(server().stop());
  auto down = pool.query("SELECT 1");
  REQUIRE_FALSE(down);
  CHECK(down.error().code == pg::Errc::kUnavailable);
  auto tx = pool.transaction([](pg::Connection& c) -> pg::Result<int> {
    if (auto r = c.exec("SELECT 1"); !r) return std::unexpected(r.error());
    return 1;
  });
  REQUIRE_FALSE(tx);
  CHECK(tx.error().code == pg::Errc::kUnavailable);
  REQUIRE(server().restart());
  auto up = pool.query("SELECT 1");
  REQUIRE(up);
  CHECK(up->int64(0, 0) == 1);
}
