#include <catch2/catch.hpp>

#include "aether/bus/headers.hpp"

using namespace aether::bus;

TEST_CASE("headers: lookups ignore case and set replaces and add appends") {
  Headers h;
  h.set("Content-Type", "application/json");
  CHECK(h.get("content-type") == "application/json");
  h.set("CONTENT-TYPE", "application/protobuf");
  CHECK(h.items().size() == 1);
  CHECK(h.get("Content-Type") == "application/protobuf");
  h.add("X-A", "1");
  h.add("x-a", "2");
  CHECK(h.get("X-A") == "1");
  h.erase("x-A");
  CHECK_FALSE(h.get("X-A"));
}

TEST_CASE("headers survive a cnats message") {
  REQUIRE(nats_Open(-1) == NATS_OK);  // cnats needs its library state for messages
  natsMsg* raw = nullptr;
  REQUIRE(natsMsg_Create(&raw, "a.b", nullptr, "x", 1) == NATS_OK);
  Headers h{{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
            {"Aether-Tenant", "acme"}};
  REQUIRE(write_headers(raw, h));
  auto back = read_headers(raw);
  CHECK(back.get("Aether-Tenant") == "acme");
  CHECK(back.get("traceparent") == h.get("traceparent"));
  natsMsg_Destroy(raw);
}

TEST_CASE("service error code parsing accepts only 3-digit codes") {
  CHECK(parse_service_code("404") == 404);
  CHECK_FALSE(parse_service_code(""));
  CHECK_FALSE(parse_service_code("40x"));
  CHECK_FALSE(parse_service_code("99"));
  CHECK_FALSE(parse_service_code("1000"));
}

TEST_CASE("error replies are recognised from the micro headers") {
  CHECK_FALSE(error_from_reply_headers(Headers{{"Content-Type", "application/json"}}));
  auto e = error_from_reply_headers(
      Headers{{"Nats-Service-Error", "vm not found"}, {"Nats-Service-Error-Code", "404"}});
  REQUIRE(e);
  CHECK(e->code == Errc::kServiceError);
  CHECK(e->service_code == 404);
  CHECK(e->message == "vm not found");
  auto only_text = error_from_reply_headers(Headers{{"Nats-Service-Error", "boom"}});
  REQUIRE(only_text);
  CHECK(only_text->service_code == 500);
}

TEST_CASE("errors map to service codes") {
  CHECK(service_code_for(Error{Errc::kDecode, "x"}) == 400);
  CHECK(service_code_for(Error{Errc::kNotFound, "x"}) == 404);
  CHECK(service_code_for(Error{Errc::kWrongLastRevision, "x"}) == 409);
  CHECK(service_code_for(Error{Errc::kInternal, "x"}) == 500);
  CHECK(service_code_for(Error{Errc::kServiceError, "x", 422}) == 422);
}
