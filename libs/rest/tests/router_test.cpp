#include <catch2/catch.hpp>
#include <stdexcept>

#include "aether/rest/router.hpp"

using aether::rest::Request;
using aether::rest::Response;
using aether::rest::Router;

namespace {
Response ok(Request&) { return Response::empty(200); }
}  // namespace

TEST_CASE("router matches literals and parameters, the most specific route winning") {
  Router r;
  r.add("GET", "/v1/vms", ok);
  r.add("GET", "/v1/vms/{id}", ok);
  r.add("POST", "/v1/vms/{id}/exec", ok);
  r.add("GET", "/v1/vms/openapi", ok);

  auto m = r.match("GET", "/v1/vms/abc");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->pattern == "/v1/vms/{id}");
  REQUIRE(m.params.size() == 1);
  CHECK(m.params[0] == std::pair<std::string, std::string>{"id", "abc"});

  CHECK(r.match("GET", "/v1/vms/openapi").route->pattern == "/v1/vms/openapi");
  CHECK(r.match("POST", "/v1/vms/x/exec").route->pattern == "/v1/vms/{id}/exec");
  CHECK(r.match("HEAD", "/v1/vms").route->pattern == "/v1/vms");
}

TEST_CASE("router tells 404 from 405 and lists the allowed methods") {
  Router r;
  r.add("GET", "/v1/vms/{id}", ok);
  r.add("DELETE", "/v1/vms/{id}", ok);
  auto none = r.match("GET", "/v1/nothing");
  CHECK(none.route == nullptr);
  CHECK(none.allowed.empty());
  auto wrong = r.match("PUT", "/v1/vms/a");
  CHECK(wrong.route == nullptr);
  CHECK(wrong.allowed == std::vector<std::string>{"GET", "DELETE"});
  // An empty segment does not fill a parameter.
  CHECK(r.match("GET", "/v1/vms/").route == nullptr);
}

TEST_CASE("router refuses malformed patterns and duplicates") {
  Router r;
  r.add("GET", "/a/{id}", ok);
  CHECK_THROWS_AS(r.add("GET", "/a/{other}", ok), std::invalid_argument);
  CHECK_THROWS_AS(r.add("GET", "a", ok), std::invalid_argument);
  CHECK_THROWS_AS(r.add("GET", "/a/{x", ok), std::invalid_argument);
  CHECK_NOTHROW(r.add("POST", "/a/{id}", ok));
}
