#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "aether/rest/problem.hpp"

using aether::rest::Problem;

TEST_CASE("problem+json carries type, title, status, detail, errors and Retry-After") {
  auto r = Problem::unprocessable("invalid VmSpec", {{"vcpus", "must be 1..64"}}).response();
  CHECK(r.status == 422);
  CHECK(r.headers.get("content-type") == "application/problem+json");
  auto body = nlohmann::json::parse(r.body);
  CHECK(body["type"] == "about:blank");
  CHECK(body["title"] == "Unprocessable Content");
  CHECK(body["status"] == 422);
  CHECK(body["detail"] == "invalid VmSpec");
  CHECK(body["errors"][0]["field"] == "vcpus");
  CHECK_FALSE(r.headers.get("Retry-After"));

  auto busy = Problem::unavailable("PostgreSQL is unreachable", 3).response();
  CHECK(busy.status == 503);
  CHECK(busy.headers.get("Retry-After") == "3");
  CHECK_FALSE(nlohmann::json::parse(busy.body).contains("errors"));
  CHECK(Problem::too_many_requests("slow down", 0).response().headers.get("Retry-After") == "1");
}
