// The public duration/size helpers that flags share with the fields.
#include <catch2/catch.hpp>

#include "aether/config/units.hpp"

using namespace aether::config;
using namespace std::chrono_literals;

TEST_CASE("parse_duration and format_duration round-trip the documented forms") {
  CHECK(parse_duration("90s") == Duration(90s));
  CHECK(parse_duration("1h2m3s4ms") == Duration(1h + 2min + 3s + 4ms));
  CHECK(parse_duration("0") == Duration(0));
  CHECK(parse_duration("ten seconds").error().message ==
        "must be a duration such as 500ms, 5s, 2m, 1h or 1m30s (units ms, s, m, h)");
  CHECK(parse_duration("99999999999999999999h").error().message.starts_with("must be a duration"));
  CHECK(parse_duration("9999999999999999h").error().message == "is too long a duration");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(2min) == "2m");
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(0ms) == "0s");
}

TEST_CASE("parse_size and format_size") {
  CHECK(parse_size("64MiB") == 64 * kMiB);
  CHECK(parse_size("1TB") == 1'000'000'000'000ULL);
  CHECK(parse_size("64 MiB").error().code == Errc::kInvalidValue);
  CHECK(format_size(64 * kMiB) == "64MiB");
  CHECK(format_size(1000) == "1000B");
  CHECK(format_size(0) == "0B");
}
