#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "aether/devstack/state_dir.hpp"
#include "report.hpp"
#include "runner.hpp"

using namespace aether::bench_report;
namespace fs = std::filesystem;

namespace {

BenchRun sample_run() {
  BenchRun run;
  run.name = "aether-bench-bus";
  collect_figures(
      "aether-bench-bus: human text\n"
      "BENCH figure=bus.publish_rate value=90000 unit=msg/s baseline=100000 baseline_of=raw "
      "better=higher\n"
      "BENCH figure=bus.broken value=x\n",
      run);
  return run;
}

}  // namespace

TEST_CASE("figures and malformed lines are collected from a benchmark's output") {
  auto run = sample_run();
  REQUIRE(run.figures.size() == 1);
  CHECK(run.figures[0].figure == "bus.publish_rate");
  REQUIRE(run.problems.size() == 1);
  CHECK_THAT(run.problems[0], Catch::Contains("bus.broken"));
}

TEST_CASE("the report shows each figure beside its baseline, in markdown and JSON") {
  ReportMeta meta{"2026-12-02T00:00:00Z", "2 cores", "abc123", true, "make bench QUICK=1"};
  const std::vector<BenchRun> runs = {sample_run()};
  const auto md = render_markdown(runs, meta);
  CHECK_THAT(md, Catch::Contains("| `bus.publish_rate` | 90000 msg/s | 100000 msg/s | 0.900× "
                                 "(below baseline) | raw |"));
  CHECK_THAT(md, Catch::Contains("make bench QUICK=1") && Catch::Contains("quick sizes"));
  CHECK_THAT(md, Catch::Contains("## Problems"));
  const auto json = render_json(runs, meta);
  const auto& f = json["benchmarks"][0]["figures"][0];
  CHECK(f["value"] == 90000);
  CHECK(f["baseline"] == 100000);
  CHECK(f["ratio"].get<double>() == Approx(0.9));
  CHECK(json["quick"] == true);
  CHECK(json["benchmarks"][0]["problems"].size() == 1);
}

TEST_CASE("benchmarks are found by name and run one by one with their output logged") {
  auto dir = aether::devstack::StateDir::open("", "bench-report-test");
  REQUIRE(dir);
  const fs::path bin = dir->path() / "tools" / "x";
  fs::create_directories(bin);
  fs::create_directories(dir->path() / "CMakeFiles");
  auto script = [&](const fs::path& path, const std::string& body) {
    std::ofstream(path) << "#!/bin/sh\n" << body;
    fs::permissions(path, fs::perms::owner_all);
  };
  script(bin / "aether-bench-b",
         "echo \"guest=$AETHER_GUEST_DIR args=$*\"\n"
         "echo 'BENCH figure=b.rate value=2 unit=x/s baseline=1 baseline_of=a better=higher'\n");
  script(bin / "aether-bench-a", "echo nothing useful; exit 3\n");
  script(dir->path() / "CMakeFiles" / "aether-bench-skipped", "exit 0\n");
  std::ofstream(bin / "aether-bench-not-executable") << "x";
  fs::permissions(bin / "aether-bench-not-executable", fs::perms::owner_read);

  auto found = find_benchmarks(dir->path());
  REQUIRE(found.size() == 2);
  CHECK(found[0].filename() == "aether-bench-a");
  CHECK(found[1].filename() == "aether-bench-b");

  const fs::path logs = dir->path() / "logs";
  fs::create_directories(logs);
  auto ok = run_benchmark(found[1], {"1", "it's"}, "/guest dir", logs);
  CHECK(ok.exit_code == 0);
  REQUIRE(ok.figures.size() == 1);
  CHECK(*ok.figures[0].ratio() == 2);
  CHECK(ok.problems.empty());
  std::ifstream log(ok.log);
  std::string first;
  std::getline(log, first);
  CHECK(first == "guest=/guest dir args=1 it's");

  auto bad = run_benchmark(found[0], {}, "/g", logs);
  CHECK(bad.exit_code == 3);
  REQUIRE(bad.problems.size() == 2);
  CHECK_THAT(bad.problems[0], Catch::Contains("exited with 3"));
  CHECK_THAT(bad.problems[1], Catch::Contains("no BENCH line"));
}

TEST_CASE("quick sizes apply to the benchmarks that take sizes, and the guest dir is passed") {
  const BenchPaths paths{"/g", "/t"};
  CHECK(benchmark_args("aether-bench-vmm", true, paths) == std::vector<std::string>{"/g", "1"});
  CHECK(benchmark_args("aether-bench-vmm", false, paths).empty());  // its defaults
  CHECK(benchmark_args("aether-bench-node-provisioner", true, paths) ==
        std::vector<std::string>{"/g"});
  CHECK(benchmark_args("aether-bench-templates", false, paths) == std::vector<std::string>{"/t"});
  CHECK(benchmark_args("aether-bench-templates", true, paths) ==
        std::vector<std::string>{"/t", "3", "1"});
  CHECK(benchmark_args("aether-bench-unknown", true, paths).empty());
  CHECK(shell_quote("it's") == "'it'\\''s'");
}
