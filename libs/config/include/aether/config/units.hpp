// Duration and size text, as DurationField and SizeField read and show them.
// Public so that command-line flags take the same forms as the variables
// (`--lock-timeout 90s` like AETHER_..._TIMEOUT=90s).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aether/config/error.hpp"

namespace aether::config {

using Duration = std::chrono::milliseconds;

inline constexpr std::uint64_t kKiB = 1024;
inline constexpr std::uint64_t kMiB = 1024 * kKiB;
inline constexpr std::uint64_t kGiB = 1024 * kMiB;

// "500ms", "5s", "2m", "1h", sums such as "1m30s", or "0". On failure the error's
// message is the rule: "must be a duration such as 500ms, 5s, 2m, 1h or 1m30s (units ...)".
[[nodiscard]] Result<Duration> parse_duration(std::string_view text);
// The largest exact unit: 90000ms -> "90s", 120000ms -> "2m", 0 -> "0s".
[[nodiscard]] std::string format_duration(Duration d);

// "4096", "512B", "64KiB", "64MiB", "1GiB", "1TiB" (1024-based), "10KB", "10MB", "1GB",
// "1TB" (1000-based). On failure the error's message is the rule.
[[nodiscard]] Result<std::uint64_t> parse_size(std::string_view text);
// The largest exact binary unit: 67108864 -> "64MiB"; otherwise bytes, "1000B".
[[nodiscard]] std::string format_size(std::uint64_t bytes);

// The same, returning the broken rule (nullopt when fine), for the fields.
[[nodiscard]] std::optional<std::string> duration_problem(std::string_view text, Duration& out);
[[nodiscard]] std::optional<std::string> size_problem(std::string_view text, std::uint64_t& out);

}  // namespace aether::config
