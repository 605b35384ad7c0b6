#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace aether::bench_report {
namespace {

std::string fmt(double v) {
  char buf[64];
  const double a = std::fabs(v);
  if (a != 0 && a < 0.01) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else if (a < 10) {
    std::snprintf(buf, sizeof buf, "%.3f", v);
  } else if (a < 1000) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

// "1.23x, better" when the direction is known.
std::string verdict(const BenchFigure& f) {
  auto r = f.ratio();
  if (!r) return "—";
  std::string out = fmt(*r) + "×";
  if (f.better == "higher") out += *r >= 1 ? " (≥ baseline)" : " (below baseline)";
  if (f.better == "lower") out += *r <= 1 ? " (≤ baseline)" : " (above baseline)";
  return out;
}

}  // namespace

void collect_figures(const std::string& output, BenchRun& run) {
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    auto parsed = parse_bench_line(line);
    if (!parsed) {
      run.problems.push_back("malformed BENCH line (" + parsed.error() + "): " + line);
    } else if (*parsed) {
      run.figures.push_back(std::move(**parsed));
    }
  }
}

std::string render_markdown(const std::vector<BenchRun>& runs, const ReportMeta& meta) {
  std::ostringstream out;
  out << "# Benchmark report\n\n"
      << "Made by `" << meta.command << "` at " << meta.started_utc << " on " << meta.host
      << " (git " << meta.git << ")" << (meta.quick ? ", **quick sizes**" : "")
      << ". Each figure is beside its baseline measured in the same run; ratio = value / "
         "baseline.\n\n"
      << "| figure | value | baseline | ratio | baseline is |\n|---|---|---|---|---|\n";
  for (const auto& run : runs) {
    for (const auto& f : run.figures) {
      out << "| `" << f.figure << "` | " << fmt(f.value) << " " << f.unit << " | "
          << (f.baseline ? fmt(*f.baseline) + " " + f.unit : "—") << " | " << verdict(f) << " | "
          << (f.baseline_of.empty() ? "—" : f.baseline_of) << " |\n";
    }
  }
  out << "\n## Runs\n\n| benchmark | exit | seconds | figures | log |\n|---|---|---|---|---|\n";
  for (const auto& run : runs) {
    out << "| " << run.name << " | " << run.exit_code << " | " << fmt(run.seconds) << " | "
        << run.figures.size() << " | " << run.log << " |\n";
  }
  bool any = false;
  for (const auto& run : runs) {
    for (const auto& p : run.problems) {
      if (!any) out << "\n## Problems\n\n";
      any = true;
      out << "- " << run.name << ": " << p << "\n";
    }
  }
  return out.str();
}

nlohmann::json render_json(const std::vector<BenchRun>& runs, const ReportMeta& meta) {
  nlohmann::json benchmarks = nlohmann::json::array();
  for (const auto& run : runs) {
    nlohmann::json figures = nlohmann::json::array();
    for (const auto& f : run.figures) {
      nlohmann::json j{{"figure", f.figure}, {"value", f.value}, {"unit", f.unit}};
      j["baseline"] = f.baseline ? nlohmann::json(*f.baseline) : nlohmann::json(nullptr);
      j["baseline_of"] = f.baseline_of;
      j["ratio"] = f.ratio() ? nlohmann::json(*f.ratio()) : nlohmann::json(nullptr);
      j["better"] = f.better.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.better);
      figures.push_back(std::move(j));
    }
    benchmarks.push_back({{"name", run.name},
                          {"command", run.command},
                          {"exit_code", run.exit_code},
                          {"seconds", run.seconds},
                          {"log", run.log},
                          {"figures", std::move(figures)},
                          {"problems", run.problems}});
  }
  return {{"started_utc", meta.started_utc},
          {"host", meta.host},
          {"git", meta.git},
          {"quick", meta.quick},
          {"command", meta.command},
          {"benchmarks", benchmarks}};
}

}  // namespace aether::bench_report
