#include <catch2/catch.hpp>

#include "aether/schema/pg.hpp"

using aether::schema::classify_connect_failure;
using aether::schema::Errc;

TEST_CASE("libpq failure texts map to distinct error codes") {
  CHECK(classify_connect_failure(
            "connection to server at \"127.0.0.1\", port 5432 failed: FATAL: password "
            "authentication failed for user \"aether\"") == Errc::kAuthFailed);
  CHECK(classify_connect_failure("connection to server at \"127.0.0.1\", port 5432 failed: "
                                 "FATAL: database \"nope\" does not exist") == Errc::kNoDatabase);
  CHECK(classify_connect_failure("connection to server at \"127.0.0.1\", port 1 failed: "
                                 "Connection refused Is the server running on that host?") ==
        Errc::kUnreachable);
  CHECK(classify_connect_failure("invalid URI query parameter: \"foo\"") == Errc::kBadUrl);
  CHECK(classify_connect_failure("FATAL: role \"x\" does not exist") == Errc::kAuthFailed);
  CHECK(classify_connect_failure("something new") == Errc::kConnectFailed);
}

TEST_CASE("mask_url hides passwords in URLs and key=value strings") {
  using aether::schema::mask_url;
  CHECK(mask_url("postgresql://aether:secret@127.0.0.1:5432/aether") ==
        "postgresql://aether:****@127.0.0.1:5432/aether");
  CHECK(mask_url("postgresql://aether@127.0.0.1/aether") == "postgresql://aether@127.0.0.1/aether");
  CHECK(mask_url("host=x password=secret dbname=y") == "host=x password=**** dbname=y");
  CHECK(mask_url("postgresql://h/db?password=secret&sslmode=disable") ==
        "postgresql://h/db?password=****&sslmode=disable");
}

TEST_CASE("one_line folds libpq's multi-line messages") {
  CHECK(aether::schema::one_line("FATAL:  x\nDETAIL:  y\n") == "FATAL: x DETAIL: y");
}
