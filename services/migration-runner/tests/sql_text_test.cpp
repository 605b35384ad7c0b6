#include <catch2/catch.hpp>

#include "sql_text.hpp"

using namespace aether::migrate;

namespace {
std::vector<std::string> texts(std::string_view sql) {
  std::vector<std::string> out;
  for (const auto& s : split_statements(sql)) out.emplace_back(sql.substr(s.offset, s.length));
  return out;
}
}  // namespace

TEST_CASE("statements split on top-level semicolons only") {
  CHECK(texts("SELECT 1; SELECT 2;") == std::vector<std::string>{"SELECT 1;", "SELECT 2;"});
  CHECK(texts("SELECT 'a;b'; SELECT \"x;y\" FROM t;") ==
        std::vector<std::string>{"SELECT 'a;b';", "SELECT \"x;y\" FROM t;"});
  CHECK(texts("SELECT 'it''s;'; SELECT E'\\';';") ==
        std::vector<std::string>{"SELECT 'it''s;';", "SELECT E'\\';';"});
  CHECK(texts("-- c;\nSELECT 1 /* a; /* nested; */ b; */ ;") ==
        std::vector<std::string>{"SELECT 1 /* a; /* nested; */ b; */ ;"});
  CHECK(
      texts("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql; SELECT 2") ==
      std::vector<std::string>{
          "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;", "SELECT 2"});
  CHECK(texts("DO $$ BEGIN PERFORM 1; END $$;") ==
        std::vector<std::string>{"DO $$ BEGIN PERFORM 1; END $$;"});
  CHECK(texts("CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b);") ==
        std::vector<std::string>{"CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b);"});
  CHECK(texts("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true "
              "THEN 1 END; SELECT 2; END; SELECT 3;") ==
        std::vector<std::string>{"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
                                 "SELECT CASE WHEN true THEN 1 END; SELECT 2; END;",
                                 "SELECT 3;"});
  CHECK(texts("SELECT $1::int, a$b$ FROM t; SELECT 2;").size() == 2);
}

TEST_CASE("comment-only text has no statements") {
  CHECK(split_statements("-- only a comment\n/* and this */\n  \n").empty());
  CHECK(split_statements("").empty());
}

TEST_CASE("statement offsets skip leading comments and map to lines") {
  std::string sql =
      "-- header\n\nCREATE TABLE a (x int);\n-- next\nCREATE TABLE b (\n  y int\n);\n";
  auto st = split_statements(sql);
  REQUIRE(st.size() == 2);
  CHECK(line_of_offset(sql, st[0].offset) == 3);
  CHECK(line_of_offset(sql, st[1].offset) == 5);
}

TEST_CASE("PostgreSQL character positions become byte offsets in UTF-8") {
  std::string text = "SELECT 'é' FROM";  // é is two bytes
  CHECK(byte_offset_of_char_position(text, 1) == 0);
  CHECK(byte_offset_of_char_position(text, 9) == 8);    // é
  CHECK(byte_offset_of_char_position(text, 10) == 10);  // the closing quote
  CHECK(byte_offset_of_char_position(text, 1000) == text.size());
}

TEST_CASE("first_word lower-cases the leading keyword") {
  CHECK(first_word("BEGIN;") == "begin");
  CHECK(first_word("  Create table x") == "create");
}
