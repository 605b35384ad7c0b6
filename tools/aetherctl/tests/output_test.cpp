#include <catch2/catch.hpp>
#include <sstream>

#include "output.hpp"

using aether::ctl::Column;
using aether::ctl::OutputFormat;
using Json = nlohmann::json;

TEST_CASE("table rows show missing cells as a dash and align columns") {
  Json rows = Json::parse(R"([{"id":"a","spec":{"vcpus":2}},{"id":"bbbb"}])");
  std::ostringstream out;
  aether::ctl::print_rows(out, OutputFormat::kTable, Json{{"vms", rows}}, rows,
                          {Column{"ID", "/id"}, Column{"VCPUS", "/spec/vcpus"}});
  CHECK(out.str() == "ID    VCPUS\na     2\nbbbb  -\n");
}

TEST_CASE("json output is the whole document, cursor included") {
  Json doc = Json::parse(R"({"vms":[{"id":"a"}],"nextCursor":"c1"})");
  std::ostringstream out;
  aether::ctl::print_rows(out, OutputFormat::kJson, doc, doc["vms"], {Column{"ID", "/id"}});
  CHECK(Json::parse(out.str()) == doc);
}

TEST_CASE("yaml quotes strings that YAML would read as other types") {
  Json doc = Json::parse(R"({"a":"true","b":"123","c":"plain","d":7,"e":[1,"x"],"f":null})");
  std::string yaml = aether::ctl::to_yaml(doc);
  CHECK(yaml.find("a: \"true\"") != std::string::npos);
  CHECK(yaml.find("b: \"123\"") != std::string::npos);
  CHECK(yaml.find("c: plain") != std::string::npos);
  CHECK(yaml.find("d: 7") != std::string::npos);
  CHECK(yaml.find("- x") != std::string::npos);
  CHECK(yaml.find("f: ~") != std::string::npos);
}

TEST_CASE("one object as a table is flattened key: value lines") {
  std::ostringstream out;
  aether::ctl::print_object(out, OutputFormat::kTable,
                            Json::parse(R"({"id":"v1","spec":{"vcpus":1,"labels":{"k":"v"}}})"));
  CHECK(out.str() == "id:            v1\nspec.labels.k: v\nspec.vcpus:    1\n");
}

TEST_CASE("an unknown output format is refused by name") {
  CHECK_THROWS_WITH(aether::ctl::parse_output_format("xml"),
                    Catch::Contains("'xml' is not one of table, json, yaml"));
}
