#include <catch2/catch.hpp>

#include "plan.hpp"

using namespace aether::migrate;

namespace {
std::vector<Migration> files(std::initializer_list<int> versions) {
  std::vector<Migration> out;
  for (int v : versions) {
    char name[32];
    std::snprintf(name, sizeof name, "%04d_m%d.sql", v, v);
    out.push_back(*make_migration(name, name, "SELECT " + std::to_string(v) + ";"));
  }
  return out;
}
AppliedRecord applied(const Migration& m) {
  return AppliedRecord{m.version, m.name, m.checksum, "2026-01-01T00:00:00.000Z", 5, "host"};
}
}  // namespace

TEST_CASE("a fresh database has everything pending and plans all of it") {
  auto fs = files({1, 2, 3});
  auto report = compare(fs, {});
  CHECK(report.current_version == 0);
  CHECK(report.latest_version == 3);
  CHECK(report.pending() == 3);
  CHECK_FALSE(report.drift());
  auto plan = plan_up(fs, report, std::nullopt);
  REQUIRE(plan);
  REQUIRE(plan->size() == 3);
  CHECK((*plan)[2]->version == 3);
}

TEST_CASE("up with --to stops at the target and refuses targets below current or unknown") {
  auto fs = files({1, 2, 3});
  auto report = compare(fs, {applied(fs[0])});
  auto to2 = plan_up(fs, report, 2);
  REQUIRE(to2);
  REQUIRE(to2->size() == 1);
  CHECK((*to2)[0]->version == 2);
  CHECK(plan_up(fs, report, 1)->empty());  // already there
  auto below = plan_up(fs, compare(fs, {applied(fs[0]), applied(fs[1])}), 1);
  REQUIRE_FALSE(below);
  CHECK(below.error().code == Errc::kBadConfig);
  auto unknown = plan_up(fs, report, 7);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == Errc::kBadConfig);
}

TEST_CASE("edited, missing and out-of-order migrations are drift and block up") {
  auto fs = files({1, 2, 3});
  auto edited = applied(fs[0]);
  edited.checksum = std::string(64, 'a');
  auto report = compare(fs, {edited});
  CHECK(report.rows[0].state == MigrationState::kChanged);
  CHECK(report.drift());
  auto plan = plan_up(fs, report, std::nullopt);
  REQUIRE_FALSE(plan);
  CHECK(plan.error().code == Errc::kDrift);
  CHECK(plan.error().message.find("edited") != std::string::npos);

  AppliedRecord ghost{9, "ghost", std::string(64, 'b'), "t", 1, "h"};
  auto missing = compare(fs, {applied(fs[0]), ghost});
  CHECK(missing.rows.back().state == MigrationState::kMissing);
  // 2 and 3 are below applied version 9: out of order.
  CHECK(missing.rows[1].state == MigrationState::kOutOfOrder);
  CHECK(missing.problems().size() == 3);

  auto gap = compare(fs, {applied(fs[0]), applied(fs[2])});
  CHECK(gap.rows[1].state == MigrationState::kOutOfOrder);
  CHECK(gap.drift());
}
