#include <catch2/catch.hpp>

#include "aether/pg/connection.hpp"
#include "aether/pg/error.hpp"

using namespace aether::pg;

TEST_CASE("SQLSTATEs map to the classes a REST edge answers with", "[pg]") {
  CHECK(classify_sqlstate("") == Errc::kUnavailable);       // connection lost
  CHECK(classify_sqlstate("08006") == Errc::kUnavailable);  // connection failure
  CHECK(classify_sqlstate("57P01") == Errc::kUnavailable);  // admin shutdown
  CHECK(classify_sqlstate("53300") == Errc::kUnavailable);  // too many connections
  CHECK(classify_sqlstate("57014") == Errc::kTimeout);      // statement timeout
  CHECK(classify_sqlstate("23505") == Errc::kConflict);     // unique violation
  CHECK(classify_sqlstate("40001") == Errc::kConflict);     // serialization failure
  CHECK(classify_sqlstate("23514") == Errc::kInvalid);      // check violation
  CHECK(classify_sqlstate("23503") == Errc::kInvalid);      // foreign key
  CHECK(classify_sqlstate("22P02") == Errc::kInvalid);      // invalid text representation
  CHECK(classify_sqlstate("42601") == Errc::kBug);          // syntax error
  CHECK(classify_sqlstate("42703") == Errc::kBug);          // undefined column
  CHECK(http_status(Errc::kUnavailable) == 503);
  CHECK(http_status(Errc::kTimeout) == 503);
  CHECK(http_status(Errc::kConflict) == 409);
  CHECK(http_status(Errc::kInvalid) == 422);
  CHECK(http_status(Errc::kBug) == 500);
}

TEST_CASE("text array literals quote and escape every element", "[pg]") {
  CHECK(text_array_literal({}) == "{}");
  CHECK(text_array_literal({"a", "b c"}) == R"({"a","b c"})");
  CHECK(text_array_literal({R"(q"uo\te)", ","}) == R"({"q\"uo\\te",","})");
}
