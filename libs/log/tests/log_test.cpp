// Log lines as a reader sees them: JSON that parses, trace ids only inside a span.
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>

#include "aether/log/capture_sink.hpp"
#include "aether/log/log.hpp"
#include "aether/trace/trace.hpp"

using namespace aether;
using nlohmann::json;

namespace {

std::shared_ptr<log::CaptureSink> capture(log::LogConfig config) {
  auto sink = std::make_shared<log::CaptureSink>();
  log::init(config, sink);
  return sink;
}

json only_line(log::CaptureSink& sink) {
  auto lines = sink.lines();
  REQUIRE(lines.size() == 1);
  return json::parse(lines[0]);
}

}  // namespace

TEST_CASE("json lines carry ts, level, service and msg, and no trace ids outside a span") {
  auto sink = capture({.service = "aether-test"});
  spdlog::info("listening on {}", 9090);
  json line = only_line(*sink);
  CHECK(line["level"] == "info");
  CHECK(line["service"] == "aether-test");
  CHECK(line["msg"] == "listening on 9090");
  CHECK(std::regex_match(line["ts"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  CHECK_FALSE(line.contains("trace_id"));
  CHECK_FALSE(line.contains("span_id"));
  CHECK(line.size() == 4);
}

TEST_CASE("json lines inside an active span carry its trace and span ids") {
  auto sink = capture({.service = "aether-test"});
  trace::Span span("test op");
  {
    auto scope = span.activate();
    spdlog::warn("inside");
    trace::Span child("child op");
    auto child_scope = child.activate();
    spdlog::error("in child");
  }
  spdlog::info("after");
  auto lines = sink->lines();
  REQUIRE(lines.size() == 3);
  json inside = json::parse(lines[0]);
  CHECK(inside["level"] == "warn");
  CHECK(inside["trace_id"] == span.context().trace_id_hex());
  CHECK(inside["span_id"] == span.context().span_id_hex());
  CHECK(inside["trace_id"].get<std::string>().size() == 32);
  json in_child = json::parse(lines[1]);
  CHECK(in_child["level"] == "error");
  CHECK(in_child["trace_id"] == span.context().trace_id_hex());
  CHECK(in_child["span_id"] != span.context().span_id_hex());
  json after = json::parse(lines[2]);
  CHECK_FALSE(after.contains("trace_id"));
}

TEST_CASE("messages are JSON-escaped and invalid UTF-8 becomes U+FFFD") {
  auto sink = capture({.service = "svc \"quoted\""});
  const std::string nasty = std::string("quote \" backslash \\ newline \n tab \t bell \x07 del ") +
                            "\x7f" + " é ✓ 😀 bad \xff\xfe end \xe2\x82";
  spdlog::info("{}", nasty);
  const std::string raw = sink->lines().at(0);
  CHECK(raw.find('\n') == std::string::npos);
  json line = json::parse(raw);  // throws (fails the test) on invalid JSON or UTF-8
  CHECK(line["service"] == "svc \"quoted\"");
  CHECK(line["msg"] == std::string("quote \" backslash \\ newline \n tab \t bell \x07 del ") +
                           "\x7f" +
                           " é ✓ 😀 bad \xEF\xBF\xBD\xEF\xBF\xBD end \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("the level filter drops lower levels") {
  auto sink = capture({.service = "aether-test", .level = spdlog::level::warn});
  spdlog::info("dropped");
  spdlog::debug("dropped");
  spdlog::warn("kept");
  CHECK(only_line(*sink)["msg"] == "kept");
}

TEST_CASE("text format is for people and still shows trace ids inside a span") {
  auto sink = capture({.service = "aether-test", .format = log::Format::kText});
  spdlog::info("plain");
  trace::Span span("op");
  {
    auto scope = span.activate();
    spdlog::info("traced");
  }
  auto lines = sink->lines();
  REQUIRE(lines.size() == 2);
  CHECK(std::regex_match(
      lines[0], std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info +aether-test: plain)")));
  CHECK(lines[1].ends_with("aether-test: traced trace_id=" + span.context().trace_id_hex() +
                           " span_id=" + span.context().span_id_hex()));
}

TEST_CASE("LogOptions reads AETHER_LOG_FORMAT and AETHER_LOG_LEVEL through the Spec") {
  config::Spec spec("aether-api", "test");
  log::LogOptions options(spec);
  REQUIRE(spec.load(config::map_env({})));
  CHECK(options.config().service == "aether-api");
  CHECK(options.config().format == log::Format::kJson);
  CHECK(options.config().level == spdlog::level::info);

  REQUIRE(
      spec.load(config::map_env({{"AETHER_LOG_FORMAT", "text"}, {"AETHER_LOG_LEVEL", "warn"}})));
  CHECK(options.config().format == log::Format::kText);
  CHECK(options.config().level == spdlog::level::warn);

  auto bad = spec.load(config::map_env({{"AETHER_LOG_LEVEL", "verbose"}}));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message ==
        "AETHER_LOG_LEVEL=verbose: must be one of trace, debug, info, warn, error, critical, off");
}

TEST_CASE("parse_level and parse_format name the rule on bad input") {
  CHECK(log::parse_level("debug") == spdlog::level::debug);
  CHECK(log::parse_level("warning").error().message ==
        "log level \"warning\" must be one of trace, debug, info, warn, error, critical, off");
  CHECK(log::parse_format("yaml").error().code == log::Errc::kInvalidFormat);
  CHECK(log::level_name(spdlog::level::err) == "error");
}
