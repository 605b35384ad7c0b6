#include "bench_line.hpp"

#include <charconv>
#include <cmath>
#include <set>

namespace aether::bench_report {
namespace {

std::optional<double> number(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<double> BenchFigure::ratio() const {
  if (!baseline || *baseline == 0) return std::nullopt;
  return value / *baseline;
}

std::expected<std::optional<BenchFigure>, std::string> parse_bench_line(std::string_view line) {
  constexpr std::string_view kPrefix = "BENCH ";
  if (!line.starts_with(kPrefix)) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  BenchFigure f;
  bool have_value = false;
  std::set<std::string> seen;
  while (!line.empty()) {
    const auto space = line.find(' ');
    std::string_view token = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    if (token.empty()) continue;
    if (token.back() == '\r') token.remove_suffix(1);
    const auto eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return std::unexpected("token '" + std::string(token) + "' is not key=value");
    }
    const std::string key(token.substr(0, eq));
    const std::string_view value = token.substr(eq + 1);
    if (!seen.insert(key).second) return std::unexpected("key '" + key + "' appears twice");
    if (key == "figure") {
      f.figure = value;
    } else if (key == "value" || key == "baseline") {
      auto n = number(value);
      if (!n) {
        return std::unexpected(key + "='" + std::string(value) + "' is not a finite number");
      }
      if (key == "value") {
        f.value = *n;
        have_value = true;
      } else {
        f.baseline = *n;
      }
    } else if (key == "unit") {
      f.unit = value;
    } else if (key == "baseline_of") {
      f.baseline_of = value;
    } else if (key == "better") {
      if (value != "higher" && value != "lower") {
        return std::unexpected("better='" + std::string(value) + "' must be higher or lower");
      }
      f.better = value;
    } else {
      return std::unexpected("unknown key '" + key +
                             "' (allowed: figure, value, unit, baseline, baseline_of, better)");
    }
  }
  if (f.figure.empty()) return std::unexpected("figure= is missing");
  if (!have_value) return std::unexpected("value= is missing for " + f.figure);
  if (f.baseline && f.baseline_of.empty()) {
    return std::unexpected("baseline_of= is missing for " + f.figure + " (which has a baseline)");
  }
  return f;
}

}  // namespace aether::bench_report
