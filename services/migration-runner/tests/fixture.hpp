// Shared pieces of the migration runner's integration tests: a real
// PostgreSQL (one per test process), scratch migration directories, and a
// publisher that records what it was asked to publish.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>

#include "aether/devstack/postgres.hpp"
#include "aether/schema/pg.hpp"
#include "config.hpp"
#include "event_publisher.hpp"
#include "runner.hpp"

namespace aether::migrate::testing {

inline devstack::Postgres& server() {
  static auto pg = [] {
    auto started = devstack::Postgres::start({});
    if (!started) FAIL("PostgreSQL did not start: " << started.error().message);
    return std::move(*started);
  }();
  return pg;
}

// A directory of migration files, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("aether-migrate-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  void write(const std::string& file, const std::string& sql) const {
    std::ofstream(path_ / file, std::ios::binary | std::ios::trunc) << sql;
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class RecordingPublisher : public EventPublisher {
 public:
  Result<void> publish(const aether::v1::SchemaMigrated& event,
                       const std::string& msg_id) override {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
    msg_ids_.push_back(msg_id);
    if (fail_) return make_error(Errc::kPublishFailed, "nats down (test)");
    return {};
  }
  void fail_next() { fail_ = true; }
  std::vector<aether::v1::SchemaMigrated> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<std::string> msg_ids() {
    std::lock_guard lock(mutex_);
    return msg_ids_;
  }

 private:
  std::mutex mutex_;  // guards events_, msg_ids_
  std::vector<aether::v1::SchemaMigrated> events_;
  std::vector<std::string> msg_ids_;
  bool fail_ = false;
};

inline RunnerOptions options_for(const std::string& url, const std::string& who = "test-host") {
  RunnerOptions o;
  o.database_url = url;
  o.applied_by = who;
  o.application_name = "aether-migration-runner@" + who;
  o.lock_wait = std::chrono::seconds(60);
  return o;
}

inline std::vector<Migration> embedded() {
  auto ms = load_embedded_migrations();
  REQUIRE(ms);
  return std::move(*ms);
}

inline std::vector<Migration> from_dir(const ScratchDir& dir) {
  auto ms = load_migrations_from_dir(dir.path());
  REQUIRE(ms);
  return std::move(*ms);
}

// One value from a query on a fresh connection ("" for NULL).
inline std::string query_value(const std::string& url, const std::string& sql) {
  auto conn = schema::connect(url);
  INFO((conn ? std::string() : conn.error().message));
  REQUIRE(conn);
  schema::PgResult r(PQexec(conn->get(), sql.c_str()));
  INFO(PQerrorMessage(conn->get()));
  REQUIRE(PQresultStatus(r.get()) == PGRES_TUPLES_OK);
  REQUIRE(PQntuples(r.get()) == 1);
  return PQgetvalue(r.get(), 0, 0);
}

}  // namespace aether::migrate::testing
