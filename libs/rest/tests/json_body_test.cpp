#include <catch2/catch.hpp>

#include "aether/rest/json_body.hpp"

using aether::rest::FieldReader;
using aether::rest::parse_json_body;

namespace {
std::string first_field(const aether::rest::Problem& p) {
  return p.errors.empty() ? std::string() : p.errors.front().field;
}
}  // namespace

TEST_CASE("strict JSON: malformed, duplicate keys, depth, UTF-8, overflow, non-object") {
  CHECK(parse_json_body("").value() == nlohmann::json::object());
  auto bad = parse_json_body("{\"a\":");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().status == 400);
  CHECK(first_field(bad.error()) == "body");

  auto dup = parse_json_body(R"({"spec":{"vcpus":1,"vcpus":2}})");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().status == 400);
  CHECK(first_field(dup.error()) == "spec.vcpus");
  CHECK(dup.error().detail.find("duplicate key 'vcpus'") != std::string::npos);

  std::string deep(40, '[');
  deep = "{\"a\":" + deep + std::string(40, ']') + "}";
  auto nested = parse_json_body(deep, 16);
  REQUIRE_FALSE(nested);
  CHECK(nested.error().detail.find("deeper than 16") != std::string::npos);

  auto utf8 = parse_json_body("{\"a\":\"\xff\xfe\"}");
  REQUIRE_FALSE(utf8);
  CHECK(utf8.error().detail.find("UTF-8") != std::string::npos);

  auto huge = parse_json_body("{\"a\":1e999}");
  REQUIRE_FALSE(huge);
  CHECK(huge.error().status == 400);

  auto array = parse_json_body("[1,2]");
  REQUIRE_FALSE(array);
  CHECK(array.error().detail.find("must be a JSON object") != std::string::npos);
  CHECK_FALSE(parse_json_body("{} x"));
}

TEST_CASE("FieldReader checks types and ranges and names unknown fields") {
  auto doc =
      parse_json_body(R"({"vcpus":65,"memoryMib":"x","network":true,"env":{"A":"1","B":2},)"
                      R"("egressAllow":["1.1.1.1",3],"templ":"typo","ttlSeconds":-1,"n":1.5})");
  REQUIRE(doc);
  FieldReader r(*doc, "spec.");
  CHECK_FALSE(r.uint("vcpus", 1, 64));
  CHECK_FALSE(r.uint("memoryMib", 64, 65536));
  CHECK(r.boolean("network") == true);
  CHECK_FALSE(r.string_map("env"));
  CHECK_FALSE(r.string_list("egressAllow"));
  CHECK_FALSE(r.uint("ttlSeconds", 0, 86400));
  CHECK_FALSE(r.uint("n", 0, 10));
  CHECK_FALSE(r.string("template"));  // absent: no error
  auto problem = r.finish("invalid VmSpec");
  REQUIRE(problem);
  CHECK(problem->status == 422);
  std::map<std::string, std::string> by_field;
  for (const auto& e : problem->errors) by_field[e.field] = e.message;
  CHECK(by_field["spec.vcpus"] == "must be an integer between 1 and 64, got 65");
  CHECK(by_field["spec.memoryMib"] == "must be an integer, got a string");
  CHECK(by_field["spec.env.B"] == "must be a string, got an integer");
  CHECK(by_field["spec.egressAllow[1]"] == "must be a string, got an integer");
  CHECK(by_field["spec.templ"] == "unknown field");
  CHECK(by_field["spec.ttlSeconds"].find("between 0 and 86400") != std::string::npos);
  CHECK(by_field["spec.n"].find("integer") != std::string::npos);
  CHECK_FALSE(by_field.contains("spec.network"));
}

TEST_CASE("FieldReader passes a valid object") {
  auto doc = parse_json_body(R"({"template":"default","vcpus":2,"labels":{"team":"a"}})");
  REQUIRE(doc);
  FieldReader r(*doc);
  CHECK(r.string("template") == "default");
  CHECK(r.uint("vcpus", 1, 64) == 2u);
  CHECK(r.string_map("labels")->at("team") == "a");
  CHECK_FALSE(r.finish("x"));
}
