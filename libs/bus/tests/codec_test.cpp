#include <catch2/catch.hpp>

#include "aether/bus/codec.hpp"
#include "aether/v1/vm.pb.h"

using namespace aether::bus;

namespace {
aether::v1::CreateVm sample() {
  aether::v1::CreateVm m;
  m.set_vm_id("0190f3a0-0000-7000-8000-000000000001");
  m.set_tenant("acme");
  m.set_request_id("req-1");
  m.mutable_spec()->set_vcpus(2);
  m.mutable_spec()->set_memory_mib(512);
  m.mutable_spec()->mutable_env()->insert({std::string("A"), std::string("b")});
  return m;
}
}  // namespace

TEST_CASE("content type: absent means protobuf and parameters and case are ignored") {
  CHECK(parse_content_type(std::nullopt).value() == ContentType::kProtobuf);
  CHECK(parse_content_type(std::string("application/protobuf")).value() == ContentType::kProtobuf);
  CHECK(parse_content_type(std::string("application/x-protobuf")).value() ==
        ContentType::kProtobuf);
  CHECK(parse_content_type(std::string("Application/JSON; charset=utf-8")).value() ==
        ContentType::kJson);
}

TEST_CASE("content type: anything else is an error naming the value") {
  auto r = parse_content_type(std::string("text/plain"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kUnsupportedContent);
  CHECK(r.error().message.find("text/plain") != std::string::npos);
}

TEST_CASE("protobuf and JSON round trips give the same message") {
  const auto m = sample();
  for (auto type : {ContentType::kProtobuf, ContentType::kJson}) {
    auto bytes = encode(m, type);
    REQUIRE(bytes);
    auto back = decode_as<aether::v1::CreateVm>(*bytes, type);
    REQUIRE(back);
    CHECK(back->SerializeAsString() == m.SerializeAsString());
  }
}

TEST_CASE("JSON uses the proto3 mapping (camelCase names) and accepts proto field names") {
  auto json = encode(sample(), ContentType::kJson);
  REQUIRE(json);
  CHECK(json->find("\"vmId\"") != std::string::npos);
  auto back = decode_as<aether::v1::CreateVm>(R"({"vm_id":"x","spec":{"memory_mib":64}})",
                                              ContentType::kJson);
  REQUIRE(back);
  CHECK(back->vm_id() == "x");
  CHECK(back->spec().memory_mib() == 64);
}

TEST_CASE("malformed JSON is kDecode naming the type and the parser's complaint") {
  auto r = decode_as<aether::v1::CreateVm>(R"({"vmId": 12,)", ContentType::kJson);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kDecode);
  CHECK(r.error().message.find("aether.v1.CreateVm") != std::string::npos);
}

TEST_CASE("an unknown JSON field is rejected and not silently dropped") {
  auto r = decode_as<aether::v1::CreateVm>(R"({"vmid":"x"})", ContentType::kJson);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kDecode);
  CHECK(r.error().message.find("vmid") != std::string::npos);
}

TEST_CASE("malformed protobuf is kDecode naming the type") {
  const std::string garbage("\xff\xff\xff\xff\x0f", 5);
  auto r = decode_as<aether::v1::CreateVm>(garbage, ContentType::kProtobuf);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kDecode);
  CHECK(r.error().message.find("aether.v1.CreateVm") != std::string::npos);
}
