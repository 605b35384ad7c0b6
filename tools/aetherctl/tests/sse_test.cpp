#include <catch2/catch.hpp>

#include "sse.hpp"

using aether::ctl::SseParser;

TEST_CASE("an event ends at a blank line and carries its id") {
  SseParser p;
  CHECK_FALSE(p.feed("id: 41").has_value());
  CHECK_FALSE(p.feed("event: vm").has_value());
  CHECK_FALSE(p.feed("data: {\"a\":1}").has_value());
  auto e = p.feed("");
  REQUIRE(e.has_value());
  CHECK(e->id == "41");
  CHECK(e->event == "vm");
  CHECK(e->data == "{\"a\":1}");
  CHECK(p.last_id() == "41");
}

TEST_CASE("multi-line data is joined; comments and empty events are skipped") {
  SseParser p;
  CHECK_FALSE(p.feed(": keep-alive").has_value());
  CHECK_FALSE(p.feed("").has_value());
  CHECK_FALSE(p.feed("data:one").has_value());
  CHECK_FALSE(p.feed("data: two").has_value());
  auto e = p.feed("");
  REQUIRE(e.has_value());
  CHECK(e->data == "one\ntwo");
  CHECK(e->event == "message");
  CHECK(e->id.empty());
}

TEST_CASE("the last id survives events without one (what Last-Event-ID resends)") {
  SseParser p;
  (void)p.feed("id: 7");
  (void)p.feed("data: x");
  (void)p.feed("");
  (void)p.feed("data: y");
  auto e = p.feed("");
  REQUIRE(e.has_value());
  CHECK(e->id.empty());
  CHECK(p.last_id() == "7");
}
