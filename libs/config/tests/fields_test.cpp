// Every field type and rule: parsing, defaults and the exact error messages.
#include <catch2/catch.hpp>

#include "aether/config/config.hpp"

using namespace aether::config;
using namespace std::chrono_literals;

namespace {

// Loads `spec` with one variable set; returns the problems (empty when valid).
std::vector<std::string> load_with(Spec& spec, std::map<std::string, std::string> vars) {
  auto r = spec.load(map_env(std::move(vars)));
  return r ? std::vector<std::string>{} : r.error().problems;
}

}  // namespace

TEST_CASE("integer parses, keeps its default and enforces its range") {
  Spec spec("t", "test");
  auto& port = spec.integer("AETHER_ADMIN_PORT", 9090, "admin port").range(0, 65535);

  CHECK(load_with(spec, {}).empty());
  CHECK(port.value() == 9090);
  CHECK_FALSE(port.from_env());

  CHECK(load_with(spec, {{"AETHER_ADMIN_PORT", "8080"}}).empty());
  CHECK(*port == 8080);
  CHECK(port.from_env());

  CHECK(load_with(spec, {{"AETHER_ADMIN_PORT", "70000"}}) ==
        std::vector<std::string>{"AETHER_ADMIN_PORT=70000: must be between 0 and 65535"});
  CHECK(load_with(spec, {{"AETHER_ADMIN_PORT", "80x"}}) ==
        std::vector<std::string>{"AETHER_ADMIN_PORT=80x: must be an integer"});
  CHECK(load_with(spec, {{"AETHER_ADMIN_PORT", ""}}) ==
        std::vector<std::string>{"AETHER_ADMIN_PORT=\"\": must be an integer"});
  CHECK(load_with(spec, {{"AETHER_ADMIN_PORT", " 80"}}) ==
        std::vector<std::string>{"AETHER_ADMIN_PORT=\" 80\": must be an integer"});
  CHECK(
      load_with(spec, {{"AETHER_ADMIN_PORT", "99999999999999999999"}}) ==
      std::vector<std::string>{"AETHER_ADMIN_PORT=99999999999999999999: must be a 64-bit integer"});
  CHECK(load_with(spec, {{"AETHER_ADMIN_PORT", "-1"}}) ==
        std::vector<std::string>{"AETHER_ADMIN_PORT=-1: must be between 0 and 65535"});
}

TEST_CASE("a default that breaks a rule is reported as the default") {
  Spec spec("t", "test");
  (void)spec.integer("AETHER_WORKERS", -3, "workers").range(1, 64);
  CHECK(load_with(spec, {}) ==
        std::vector<std::string>{"AETHER_WORKERS=-3 (default): must be between 1 and 64"});
}

TEST_CASE("boolean accepts the documented spellings only") {
  Spec spec("t", "test");
  auto& flag = spec.boolean("AETHER_FLAG", false, "a flag");
  for (const char* yes : {"true", "TRUE", "1", "yes", "Yes", "on"}) {
    CHECK(load_with(spec, {{"AETHER_FLAG", yes}}).empty());
    CHECK(flag.value());
  }
  for (const char* no : {"false", "0", "no", "off"}) {
    CHECK(load_with(spec, {{"AETHER_FLAG", no}}).empty());
    CHECK_FALSE(flag.value());
  }
  CHECK(load_with(spec, {{"AETHER_FLAG", "maybe"}}) ==
        std::vector<std::string>{
            "AETHER_FLAG=maybe: must be one of true, false, 1, 0, yes, no, on, off"});
}

TEST_CASE("duration parses units and sums, rejects the rest") {
  Spec spec("t", "test");
  auto& timeout = spec.duration("AETHER_TIMEOUT", 5s, "timeout").range(0ms, 1h);
  const std::pair<const char*, Duration> good[] = {{"500ms", 500ms}, {"5s", 5s},     {"2m", 2min},
                                                   {"1h", 1h},       {"1m30s", 90s}, {"0", 0ms}};
  for (const auto& [text, expected] : good) {
    INFO(text);
    CHECK(load_with(spec, {{"AETHER_TIMEOUT", text}}).empty());
    CHECK(timeout.value() == expected);
  }
  const std::string rule =
      ": must be a duration such as 500ms, 5s, 2m, 1h or 1m30s (units ms, s, m, h)";
  for (const char* bad : {"5", "5 s", "-5s", "1.5s", "s", "5d", "5sec"}) {
    INFO(bad);
    auto problems = load_with(spec, {{"AETHER_TIMEOUT", bad}});
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].ends_with(rule));
  }
  CHECK(load_with(spec, {{"AETHER_TIMEOUT", "2h"}}) ==
        std::vector<std::string>{"AETHER_TIMEOUT=2h: must be between 0s and 1h"});
}

TEST_CASE("size parses binary and decimal units") {
  Spec spec("t", "test");
  auto& limit = spec.size("AETHER_MAX_BODY", 64 * kMiB, "body limit").range(1, 4 * kGiB);
  CHECK(load_with(spec, {}).empty());
  CHECK(limit.value() == 64 * kMiB);
  CHECK(limit.default_text() == "64MiB");
  const std::pair<const char*, std::uint64_t> good[] = {
      {"4096", 4096}, {"512B", 512},    {"64KiB", 64 * kKiB}, {"64MiB", 64 * kMiB},
      {"1GiB", kGiB}, {"10KB", 10'000}, {"2MB", 2'000'000},   {"1GB", 1'000'000'000}};
  for (const auto& [text, expected] : good) {
    INFO(text);
    CHECK(load_with(spec, {{"AETHER_MAX_BODY", text}}).empty());
    CHECK(limit.value() == expected);
  }
  for (const char* bad : {"64mb", "64 MiB", "MiB", "-1", "1.5GiB", ""}) {
    INFO(bad);
    auto problems = load_with(spec, {{"AETHER_MAX_BODY", bad}});
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find(": must be a size such as") != std::string::npos);
  }
  CHECK(load_with(spec, {{"AETHER_MAX_BODY", "5GiB"}}) ==
        std::vector<std::string>{"AETHER_MAX_BODY=5GiB: must be between 1B and 4GiB"});
  CHECK(load_with(spec, {{"AETHER_MAX_BODY", "99999999999TiB"}}) ==
        std::vector<std::string>{"AETHER_MAX_BODY=99999999999TiB: is too large a size"});
}

TEST_CASE("list splits on commas and trims items") {
  Spec spec("t", "test");
  auto& servers =
      spec.list("NATS_URL", {"nats://127.0.0.1:4222"}, "NATS servers").non_empty().url({"nats"});
  CHECK(load_with(spec, {}).empty());
  CHECK(servers.value() == std::vector<std::string>{"nats://127.0.0.1:4222"});

  CHECK(load_with(spec, {{"NATS_URL", "nats://a:4222, nats://b:4222"}}).empty());
  CHECK(servers.value() == std::vector<std::string>{"nats://a:4222", "nats://b:4222"});
  CHECK(servers.value_text() == "nats://a:4222,nats://b:4222");

  CHECK(load_with(spec, {{"NATS_URL", "nats://a:4222,,nats://b:4222"}}) ==
        std::vector<std::string>{
            "NATS_URL=nats://a:4222,,nats://b:4222: item 2 is empty (comma-separated list)"});
  CHECK(load_with(spec, {{"NATS_URL", ""}}) ==
        std::vector<std::string>{"NATS_URL=\"\": must list at least one item"});
  CHECK(load_with(spec, {{"NATS_URL", "nats://a:4222,http://b"}}) ==
        std::vector<std::string>{
            "NATS_URL=nats://a:4222,http://b: item 2 scheme \"http\" is not one of nats"});
}

TEST_CASE("choice accepts only its choices") {
  Spec spec("t", "test");
  auto& fmt = spec.choice("AETHER_LOG_FORMAT", "json", {"json", "text"}, "log format");
  CHECK(fmt.type_name() == "one of json|text");
  CHECK(load_with(spec, {{"AETHER_LOG_FORMAT", "text"}}).empty());
  CHECK(fmt.value() == "text");
  CHECK(load_with(spec, {{"AETHER_LOG_FORMAT", "xml"}}) ==
        std::vector<std::string>{"AETHER_LOG_FORMAT=xml: must be one of json, text"});
}

TEST_CASE("string url rule names the broken part") {
  Spec spec("t", "test");
  auto& db = spec.string("DATABASE_URL", "postgresql://aether:aether@127.0.0.1:5432/aether", "db")
                 .url({"postgres", "postgresql"});
  CHECK(load_with(spec, {}).empty());
  CHECK(db.value() == "postgresql://aether:aether@127.0.0.1:5432/aether");
  CHECK(load_with(spec, {{"DATABASE_URL", "mysql://h/db"}}) ==
        std::vector<std::string>{
            "DATABASE_URL=mysql://h/db: scheme \"mysql\" is not one of postgres, postgresql"});
  CHECK(load_with(spec, {{"DATABASE_URL", "postgres://h:99999/db"}}) ==
        std::vector<std::string>{"DATABASE_URL=postgres://h:99999/db: is not a URL: port "
                                 "\"99999\" must be a number from 1 to 65535"});
  CHECK(load_with(spec, {{"DATABASE_URL", "localhost:5432"}}) ==
        std::vector<std::string>{
            "DATABASE_URL=localhost:5432: is not a URL: expected scheme://host[:port][/path]"});
}

TEST_CASE("string url_list rule takes a server list and names the bad item") {
  Spec spec("t", "test");
  auto& nats = spec.string("NATS_URL", "nats://127.0.0.1:4222", "NATS").url_list({"nats", "tls"});
  CHECK(load_with(spec, {}).empty());
  CHECK(load_with(spec, {{"NATS_URL", "nats://a:4222,nats://b:4223,tls://c:4224"}}).empty());
  CHECK(nats.value() == "nats://a:4222,nats://b:4223,tls://c:4224");
  CHECK(load_with(spec, {{"NATS_URL", "nats://a:4222,http://b"}}) ==
        std::vector<std::string>{"NATS_URL=nats://a:4222,http://b: 'http://b': scheme \"http\" "
                                 "is not one of nats, tls"});
  CHECK(load_with(spec, {{"NATS_URL", "nats://a:4222,"}}) ==
        std::vector<std::string>{"NATS_URL=nats://a:4222,: '': is not a URL: expected "
                                 "scheme://host[:port][/path]"});
}

TEST_CASE("custom rules run after the built-in ones, and a throwing rule is reported") {
  Spec spec("t", "test");
  auto& slots = spec.integer("AETHER_SLOTS", 4, "slots")
                    .range(1, 1024)
                    .check([](const std::int64_t& v) -> std::optional<std::string> {
                      if ((v & (v - 1)) != 0) return "must be a power of two";
                      return std::nullopt;
                    });
  CHECK(load_with(spec, {{"AETHER_SLOTS", "64"}}).empty());
  CHECK(slots.value() == 64);
  CHECK(load_with(spec, {{"AETHER_SLOTS", "6"}}) ==
        std::vector<std::string>{"AETHER_SLOTS=6: must be a power of two"});
  CHECK(load_with(spec, {{"AETHER_SLOTS", "2000"}}) ==
        std::vector<std::string>{"AETHER_SLOTS=2000: must be between 1 and 1024",
                                 "AETHER_SLOTS=2000: must be a power of two"});

  Spec other("t", "test");
  (void)other.string("AETHER_NAME", "x", "name")
      .check([](const std::string&) -> std::optional<std::string> {
        throw std::runtime_error("boom");
      });
  CHECK(load_with(other, {}) ==
        std::vector<std::string>{"AETHER_NAME=x (default): check failed: boom"});
}
