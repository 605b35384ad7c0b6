// One `make bench` run: what each benchmark printed as BENCH lines, and the
// report written from it (bench/report.md for people, bench/report.json for
// tools), each figure beside its baseline from the same run.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_line.hpp"

namespace aether::bench_report {

struct BenchRun {
  std::string name;     // the binary, e.g. aether-bench-bus
  std::string command;  // as run
  int exit_code = 0;
  double seconds = 0;
  std::vector<BenchFigure> figures;
  std::vector<std::string> problems;  // malformed BENCH lines, no figures, a failed exit
  std::string log;                    // where its full output went
};

struct ReportMeta {
  std::string started_utc;  // ISO 8601
  std::string host;         // e.g. "2 cores, Debian 12"
  std::string git;          // commit (and "+dirty")
  bool quick = false;
  std::string command;  // what made the report
};

// Reads a benchmark's stdout: every BENCH line becomes a figure, a malformed
// one a problem naming the line.
void collect_figures(const std::string& output, BenchRun& run);

[[nodiscard]] std::string render_markdown(const std::vector<BenchRun>& runs,
                                          const ReportMeta& meta);
[[nodiscard]] nlohmann::json render_json(const std::vector<BenchRun>& runs, const ReportMeta& meta);

}  // namespace aether::bench_report
