// Duration and size text: the forms DurationField/SizeField accept, for flags too.
#include "aether/config/units.hpp"

#include <cctype>
#include <charconv>
#include <limits>

namespace aether::config {
namespace {

// Leading decimal digits of s as an unsigned number; returns digits consumed (0 = none or
// overflow).
std::size_t leading_number(std::string_view s, std::uint64_t& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc{}) return 0;
  return static_cast<std::size_t>(ptr - s.data());
}

bool checked_mul_add(std::uint64_t a, std::uint64_t b, std::uint64_t& acc) {
  std::uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return false;
  return !__builtin_add_overflow(acc, product, &acc);
}

}  // namespace

std::optional<std::string> duration_problem(std::string_view raw, Duration& out) {
  static constexpr const char* kRule =
      "must be a duration such as 500ms, 5s, 2m, 1h or 1m30s (units ms, s, m, h)";
  if (raw == "0") {
    out = Duration::zero();
    return std::nullopt;
  }
  if (raw.empty()) return kRule;
  std::uint64_t total_ms = 0;
  while (!raw.empty()) {
    std::uint64_t n = 0;
    const std::size_t digits = leading_number(raw, n);
    if (digits == 0) return kRule;
    raw.remove_prefix(digits);
    std::uint64_t unit_ms = 0;
    if (raw.starts_with("ms")) {
      unit_ms = 1;
      raw.remove_prefix(2);
    } else if (raw.starts_with("s")) {
      unit_ms = 1000;
      raw.remove_prefix(1);
    } else if (raw.starts_with("m")) {
      unit_ms = 60'000;
      raw.remove_prefix(1);
    } else if (raw.starts_with("h")) {
      unit_ms = 3'600'000;
      raw.remove_prefix(1);
    } else {
      return kRule;
    }
    if (!checked_mul_add(n, unit_ms, total_ms) ||
        total_ms > static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max())) {
      return "is too long a duration";
    }
  }
  out = Duration(static_cast<Duration::rep>(total_ms));
  return std::nullopt;
}

std::string format_duration(Duration v) {
  const auto ms = v.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<std::string> size_problem(std::string_view raw, std::uint64_t& out) {
  static constexpr const char* kRule =
      "must be a size such as 4096, 512KiB, 64MiB or 1GiB (units B, KB, MB, GB, TB, KiB, MiB, "
      "GiB, TiB)";
  std::uint64_t n = 0;
  const std::size_t digits = leading_number(raw, n);
  if (digits == 0)
    return raw.empty() || !std::isdigit(static_cast<unsigned char>(raw[0])) ? kRule
                                                                            : "is too large a size";
  const std::string unit(raw.substr(digits));
  struct Unit {
    const char* name;
    std::uint64_t factor;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000'000},
      {"GB", 1000'000'000},
      {"TB", 1000'000'000'000},
      {"KiB", kKiB},
      {"MiB", kMiB},
      {"GiB", kGiB},
      {"TiB", 1024 * kGiB},
  };
  for (const auto& u : kUnits) {
    if (unit == u.name) {
      std::uint64_t total = 0;
      if (!checked_mul_add(n, u.factor, total)) return "is too large a size";
      out = total;
      return std::nullopt;
    }
  }
  return kRule;
}

std::string format_size(std::uint64_t v) {
  if (v != 0) {
    for (const auto& [factor, name] : {std::pair{1024 * kGiB, "TiB"}, std::pair{kGiB, "GiB"},
                                       std::pair{kMiB, "MiB"}, std::pair{kKiB, "KiB"}}) {
      if (v % factor == 0) return std::to_string(v / factor) + name;
    }
  }
  return std::to_string(v) + "B";
}

Result<Duration> parse_duration(std::string_view text) {
  Duration out{};
  if (auto problem = duration_problem(text, out)) {
    return std::unexpected(Error{Errc::kInvalidValue, std::move(*problem), {}});
  }
  return out;
}

Result<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t out = 0;
  if (auto problem = size_problem(text, out)) {
    return std::unexpected(Error{Errc::kInvalidValue, std::move(*problem), {}});
  }
  return out;
}

}  // namespace aether::config
