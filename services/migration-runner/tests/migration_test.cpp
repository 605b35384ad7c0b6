#include <catch2/catch.hpp>

#include "embedded_migrations.hpp"
#include "migration.hpp"

using namespace aether::migrate;

TEST_CASE("migration file names follow NNNN_name.sql") {
  auto ok = parse_migration_filename("0001_initial_schema.sql");
  REQUIRE(ok);
  CHECK(ok->version == 1);
  CHECK(ok->name == "initial_schema");
  CHECK(parse_migration_filename("12345_big.sql")->version == 12345);
  for (const char* bad : {"001_short.sql", "0001-dash.sql", "0001_.sql", "0001_Upper.sql",
                          "0000_zero.sql", "abcd_x.sql", "0001_x.txt", "0001_x y.sql"}) {
    auto r = parse_migration_filename(bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kBadSource);
    CHECK(r.error().message.find(bad) != std::string::npos);
  }
}

TEST_CASE("checksum is sha256 hex and ignores CRLF versus LF") {
  CHECK(migration_checksum("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(migration_checksum("SELECT 1;\r\nSELECT 2;\r\n") ==
        migration_checksum("SELECT 1;\nSELECT 2;\n"));
  CHECK(migration_checksum("SELECT 1;") != migration_checksum("SELECT 2;"));
}

TEST_CASE("no-transaction header is only honoured in the leading comments") {
  CHECK(
      has_no_transaction_header("-- aether:no-transaction\nCREATE INDEX CONCURRENTLY x ON t (a);"));
  CHECK(has_no_transaction_header(
      "-- why\n--   aether is great\n-- aether:no-transaction\nSELECT 1;"));
  CHECK_FALSE(has_no_transaction_header("SELECT 1;\n-- aether:no-transaction\n"));
  CHECK_FALSE(has_no_transaction_header("-- nothing here\nSELECT 1;"));
}

TEST_CASE("make_migration rejects misused directives and transaction control") {
  auto typo = make_migration("0002_x.sql", "dir/0002_x.sql", "-- aether:no-transactoin\nSELECT 1;");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().message.find("dir/0002_x.sql:1") != std::string::npos);

  auto late = make_migration("0002_x.sql", "f", "SELECT 1;\n-- aether:no-transaction\n");
  REQUIRE_FALSE(late);
  CHECK(late.error().message.find("leading comment block") != std::string::npos);

  auto two = make_migration("0002_x.sql", "f",
                            "-- aether:no-transaction\nCREATE INDEX CONCURRENTLY a ON t (x);\n"
                            "CREATE INDEX CONCURRENTLY b ON t (y);\n");
  REQUIRE_FALSE(two);
  CHECK(two.error().message.find("exactly one statement") != std::string::npos);

  auto commit = make_migration("0002_x.sql", "f", "CREATE TABLE t (a int);\nCOMMIT;\n");
  REQUIRE_FALSE(commit);
  CHECK(commit.error().message.find("f:2") != std::string::npos);

  auto fine = make_migration("0002_x.sql", "f",
                             "-- aether:no-transaction\nCREATE INDEX CONCURRENTLY a ON t (x);\n");
  REQUIRE(fine);
  CHECK(fine->no_transaction);
  CHECK(fine->version == 2);
}

TEST_CASE("order_migrations sorts and rejects duplicate versions") {
  std::vector<Migration> ms;
  ms.push_back(*make_migration("0003_c.sql", "c", "SELECT 3;"));
  ms.push_back(*make_migration("0001_a.sql", "a", "SELECT 1;"));
  auto ordered = order_migrations(ms);
  REQUIRE(ordered);
  CHECK(ordered->front().version == 1);
  ms.push_back(*make_migration("0003_d.sql", "d", "SELECT 4;"));
  auto dup = order_migrations(ms);
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == Errc::kBadSource);
}

TEST_CASE("the embedded migrations are the files in migrations/, valid and in order") {
  auto ms = load_embedded_migrations();
  REQUIRE(ms);
  REQUIRE(ms->size() >= 3);
  for (std::size_t i = 0; i < ms->size(); ++i) CHECK((*ms)[i].version == static_cast<long>(i) + 1);
  const char* source_dir = std::getenv("AETHER_SOURCE_DIR");
  REQUIRE(source_dir != nullptr);
  auto from_dir =
      load_migrations_from_dir(std::string(source_dir) + "/services/migration-runner/migrations");
  REQUIRE(from_dir);
  REQUIRE(from_dir->size() == ms->size());
  for (std::size_t i = 0; i < ms->size(); ++i) {
    CHECK((*from_dir)[i].checksum == (*ms)[i].checksum);
    CHECK((*from_dir)[i].no_transaction == (*ms)[i].no_transaction);
  }
}
