#include <map>

#include <catch2/catch.hpp>

#include "aether/trace/trace.hpp"

using namespace aether::trace;

namespace {
constexpr const char* kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
}

TEST_CASE("valid traceparent parses and formats back identically") {
  auto ctx = parse_traceparent(kValid);
  REQUIRE(ctx);
  CHECK(ctx->trace_id_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(ctx->span_id_hex() == "00f067aa0ba902b7");
  CHECK(ctx->sampled());
  CHECK(format_traceparent(*ctx) == kValid);

  auto unsampled = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  REQUIRE(unsampled);
  CHECK_FALSE(unsampled->sampled());
}

TEST_CASE("a future version may carry extra fields after a dash") {
  auto ctx =
      parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future");
  REQUIRE(ctx);
  CHECK(ctx->trace_id_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  // We re-emit as the version we speak.
  CHECK(format_traceparent(*ctx) == kValid);
  CHECK(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST_CASE("malformed traceparent values are rejected") {
  const std::map<std::string, std::string> malformed = {
      {"empty", ""},
      {"too short", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0"},
      {"version 00 too long", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-"},
      {"version 00 extra field", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-ab"},
      {"future version, extra without dash",
       "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"},
      {"version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"version upper case", "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"version not hex", "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"trace id upper case", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"},
      {"span id upper case", "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"},
      {"flags upper case", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"},
      {"trace id not hex", "00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01"},
      {"span id not hex", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01"},
      {"flags not hex", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x"},
      {"all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
      {"all-zero span id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"},
      {"underscore separators", "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"},
      {"first separator wrong", "00+4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"second separator wrong", "00-4bf92f3577b34da6a3ce929d0e0e4736+00f067aa0ba902b7-01"},
      {"third separator wrong", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7+01"},
      {"trace id short, span id long", "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01"},
      {"inner whitespace", "00-4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7-01"},
      {"nul byte", std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\0", 55)},
  };
  for (const auto& [name, value] : malformed) {
    INFO(name << ": '" << value << "'");
    CHECK_FALSE(parse_traceparent(value));
  }
}

TEST_CASE("surrounding header whitespace is tolerated") {
  CHECK(parse_traceparent(std::string(" ") + kValid + "\t"));
}

TEST_CASE("inject and extract round-trip through a header map") {
  auto ctx = parse_traceparent(kValid);
  REQUIRE(ctx);
  ctx->tracestate = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
  std::map<std::string, std::string, std::less<>> headers;
  inject(*ctx, [&](std::string_view k, std::string_view v) { headers[std::string(k)] = v; });
  CHECK(headers.at("traceparent") == kValid);
  CHECK(headers.at("tracestate") == "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  auto back = extract([&](std::string_view k) -> std::optional<std::string> {
    auto it = headers.find(k);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  });
  REQUIRE(back);
  CHECK(back->trace_id == ctx->trace_id);
  CHECK(back->span_id == ctx->span_id);
  CHECK(back->flags == ctx->flags);
  CHECK(back->tracestate == ctx->tracestate);
}

TEST_CASE("extract returns nothing for a missing or malformed traceparent") {
  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  CHECK_FALSE(extract(none));
  auto bad = [](std::string_view k) -> std::optional<std::string> {
    if (k == "traceparent") return "00-xyz";
    return "a=b";
  };
  CHECK_FALSE(extract(bad));
}

TEST_CASE("inject writes nothing for an invalid context") {
  int calls = 0;
  inject(SpanContext{}, [&](std::string_view, std::string_view) { ++calls; });
  CHECK(calls == 0);
}

TEST_CASE("tracestate is bounded in length and member count") {
  CHECK(bound_tracestate(" a=1 , b=2 ") == "a=1,b=2");
  CHECK(bound_tracestate("a=1,\x01") == "");
  std::string many;
  for (int i = 0; i < 40; ++i) many += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  std::string bounded = bound_tracestate(many);
  CHECK(std::count(bounded.begin(), bounded.end(), ',') == 31);
  std::string long_state = "a=" + std::string(300, 'x') + ",b=" + std::string(300, 'y');
  CHECK(bound_tracestate(long_state) == "a=" + std::string(300, 'x'));
}
