// Shared by the api's integration tests: one real PostgreSQL per test
// process, and a fresh database per test with the real schema (applied by
// migration-runner's embedded migrations), so tests never see each other's rows.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "aether/devstack/postgres.hpp"
#include "aether/pg/pool.hpp"
#include "migration.hpp"
#include "runner.hpp"

namespace aether::api::testing {

inline devstack::Postgres& postgres() {
  static auto pg = [] {
    auto started = devstack::Postgres::start({});
    if (!started) FAIL("PostgreSQL did not start: " << started.error().message);
    return std::move(*started);
  }();
  return pg;
}

// postgresql://aether:aether@127.0.0.1:PORT/<db>
inline std::string url_for(const std::string& db) {
  std::string url = postgres().url();
  return url.substr(0, url.rfind('/') + 1) + db;
}

// A new database owned by the login role, migrated to the latest schema.
inline std::string fresh_database() {
  static std::atomic<int> counter{0};
  const std::string db = "api_t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  auto admin = pg::Connection::open(postgres().admin_url(), "api-itest", std::chrono::seconds(5),
                                    std::chrono::milliseconds(0));
  REQUIRE(admin);
  REQUIRE(admin->exec_script(("CREATE DATABASE " + db + " OWNER aether").c_str()));
  auto migrations = migrate::load_embedded_migrations();
  REQUIRE(migrations);
  migrate::RunnerOptions options;
  options.database_url = url_for(db);
  options.applied_by = "api-itest";
  options.application_name = "api-itest";
  migrate::Runner runner(options, std::move(*migrations), nullptr);
  auto up = runner.up();
  INFO((up ? std::string() : up.error().message));
  REQUIRE(up);
  return url_for(db);
}

inline std::unique_ptr<pg::Pool> pool_for(const std::string& url, int size = 4) {
  return std::make_unique<pg::Pool>(pg::PoolOptions{.url = url, .size = size});
}

// One value of a query ("" for NULL); the query must return exactly one row.
inline std::string value(pg::Pool& pool, const char* sql, const pg::Params& params = {}) {
  auto rows = pool.query(sql, params);
  INFO((rows ? std::string() : rows.error().message));
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  return rows->str(0, 0);
}

}  // namespace aether::api::testing
