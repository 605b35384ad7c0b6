// aether-benchmarks: runs every aether-bench-* of a build tree and writes one
// report (bench/report.md and bench/report.json). Wiring only; see src/.
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <thread>

#include "aether/devstack/shell.hpp"
#include "report.hpp"
#include "runner.hpp"

namespace br = aether::bench_report;
namespace fs = std::filesystem;

namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string host() {
  utsname u{};
  ::uname(&u);
  return std::to_string(std::thread::hardware_concurrency()) + " cores, " + u.sysname + " " +
         u.release;
}

std::string git_commit() {
  auto rev = aether::devstack::run_command("git rev-parse --short HEAD 2>/dev/null");
  if (rev.exit_code != 0) return "unknown";
  std::string out = rev.output.substr(0, rev.output.find('\n'));
  auto dirty = aether::devstack::run_command("git status --porcelain --untracked-files=no");
  if (dirty.exit_code == 0 && !dirty.output.empty()) out += "+dirty";
  return out;
}

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out.flush());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Runs every aether-bench-* benchmark one after another and writes one report"};
  app.set_version_flag("--version", std::string(AETHER_VERSION));
  std::string build_dir = "build";
  std::string out_dir = "bench";
  std::string guest_dir;
  bool quick = false;
  std::vector<std::string> only;
  app.add_option("--build-dir", build_dir, "where the benchmarks were built")
      ->capture_default_str();
  app.add_option("--out-dir", out_dir, "report.md, report.json and logs/ go here")
      ->capture_default_str();
  app.add_option("--guest-dir", guest_dir, "guest image dir (default <build-dir>/guest)");
  std::string template_dir;
  app.add_option("--template-dir", template_dir,
                 "template for aether-bench-templates (default <build-dir>/templates/python)");
  app.add_flag("--quick", quick, "small sizes (see README): minutes instead of a long run");
  app.add_option("--only", only, "benchmark names to run (e.g. aether-bench-bus)")->delimiter(',');
  bool check_config = false;
  app.add_flag("--check-config", check_config, "print the benchmarks and their commands, exit");
  CLI11_PARSE(app, argc, argv);

  const fs::path build = fs::absolute(build_dir);
  const fs::path guest = guest_dir.empty() ? build / "guest" : fs::absolute(guest_dir);
  const br::BenchPaths paths{
      guest, template_dir.empty() ? build / "templates" / "python" : fs::absolute(template_dir)};
  auto binaries = br::find_benchmarks(build);
  if (!only.empty()) {
    std::erase_if(binaries, [&](const fs::path& p) {
      return std::find(only.begin(), only.end(), p.filename().string()) == only.end();
    });
  }
  if (binaries.empty()) {
    std::cerr << "aether-benchmarks: --build-dir " << build
              << ": no aether-bench-* binary found (build them first)\n";
    return 2;
  }
  if (check_config) {
    for (const auto& b : binaries) {
      std::cout << b.filename().string();
      for (const auto& a : br::benchmark_args(b.filename().string(), quick, paths)) {
        std::cout << " " << br::shell_quote(a);
      }
      std::cout << "\n";
    }
    return 0;
  }

  const fs::path out = fs::absolute(out_dir);
  std::error_code ec;
  fs::create_directories(out / "logs", ec);
  if (ec) {
    std::cerr << "aether-benchmarks: --out-dir " << out << ": " << ec.message() << "\n";
    return 2;
  }
  br::ReportMeta meta{utc_now(), host(), git_commit(), quick, {}};
  for (int i = 0; i < argc; ++i) {
    meta.command +=
        (i ? " " : "") + (i ? std::string(argv[i]) : fs::path(argv[0]).filename().string());
  }
  std::vector<br::BenchRun> runs;
  bool failed = false;
  for (const auto& binary : binaries) {
    const std::string name = binary.filename().string();
    std::cerr << "aether-benchmarks: running " << name << "\n";
    auto run =
        br::run_benchmark(binary, br::benchmark_args(name, quick, paths), guest, out / "logs");
    std::cerr << "aether-benchmarks: " << name << " exit " << run.exit_code << ", "
              << run.figures.size() << " figures, " << static_cast<int>(run.seconds) << " s\n";
    failed = failed || !run.problems.empty();
    // The report sits in `out`: its log links are relative to it, so a
    // committed report points into the reader's own bench/logs/.
    run.log = fs::relative(run.log, out, ec).string();
    runs.push_back(std::move(run));
  }
  const std::string md = br::render_markdown(runs, meta);
  if (!write_file(out / "report.md", md) ||
      !write_file(out / "report.json", br::render_json(runs, meta).dump(2) + "\n")) {
    std::cerr << "aether-benchmarks: cannot write the report in " << out << "\n";
    return 2;
  }
  std::cout << md;
  std::cerr << "aether-benchmarks: wrote " << (out / "report.md") << " and "
            << (out / "report.json") << (failed ? " (with problems, see the report)" : "") << "\n";
  return failed ? 1 : 0;
}
