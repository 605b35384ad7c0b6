// The one machine-readable line every benchmark prints per figure, beside its
// own human-readable output:
//
//   BENCH figure=<bench>.<name> value=<number> unit=<unit>
//         [baseline=<number> baseline_of=<what>] [better=higher|lower]
//
// Tokens are space-separated key=value pairs without spaces; the order is
// free; unknown keys are refused (so a typo is not silently lost). A figure
// without a baseline is allowed but the report marks it.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace aether::bench_report {

struct BenchFigure {
  std::string figure;  // e.g. bus.request_p50
  double value = 0;
  std::string unit;
  std::optional<double> baseline;
  std::string baseline_of;  // what the baseline measured, e.g. raw_cnats
  std::string better;       // "higher", "lower" or empty (unknown)
  // value / baseline, when there is a non-zero baseline.
  [[nodiscard]] std::optional<double> ratio() const;
};

// nullopt: not a BENCH line (ordinary output). An error names the token and
// the rule it breaks.
[[nodiscard]] std::expected<std::optional<BenchFigure>, std::string> parse_bench_line(
    std::string_view line);

}  // namespace aether::bench_report
