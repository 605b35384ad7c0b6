#include "runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "aether/devstack/shell.hpp"

namespace aether::bench_report {
namespace {

constexpr std::string_view kPrefix = "aether-bench-";

}  // namespace

std::vector<std::filesystem::path> find_benchmarks(const std::filesystem::path& build_dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  auto it = std::filesystem::recursive_directory_iterator(
      build_dir, std::filesystem::directory_options::skip_permission_denied, ec);
  for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory() && it->path().filename() == "CMakeFiles") {
      it.disable_recursion_pending();
      continue;
    }
    const std::string name = it->path().filename().string();
    if (!name.starts_with(kPrefix) || !it->is_regular_file()) continue;
    if (::access(it->path().c_str(), X_OK) != 0) continue;
    out.push_back(it->path());
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.filename() < b.filename(); });
  return out;
}

std::vector<std::string> benchmark_args(const std::string& name, bool quick,
                                        const BenchPaths& paths) {
  // Full sizes are each benchmark's own defaults; these are the small ones.
  static const std::map<std::string, std::vector<std::string>> kQuick = {
      {"aether-bench-bus", {"--requests", "1000", "--publishes", "20000", "--rounds", "2"}},
      {"aether-bench-redis", {"--rounds", "1", "--round-ms", "300", "--threads", "1", "4"}},
      {"aether-bench-vmm", {"{guest}", "1"}},
      {"aether-bench-vm-worker", {"{guest}", "1"}},
      {"aether-bench-autoscaler", {"60", "5"}},
      {"aether-bench-api-projection", {"2000", "200"}},
      {"aether-bench-migrate", {"2"}},
      {"aether-bench-templates", {"{template}", "3", "1"}},
  };
  // Those that take the guest or template dir as their first argument (the
  // others read AETHER_GUEST_DIR or need none).
  static const std::map<std::string, std::vector<std::string>> kFull = {
      {"aether-bench-node-provisioner", {"{guest}"}},
      {"aether-bench-templates", {"{template}"}},
  };
  std::vector<std::string> args;
  if (quick) {
    if (auto it = kQuick.find(name); it != kQuick.end()) args = it->second;
  }
  if (args.empty()) {
    if (auto it = kFull.find(name); it != kFull.end()) args = it->second;
  }
  for (auto& a : args) {
    if (a == "{guest}") a = paths.guest_dir.string();
    if (a == "{template}") a = paths.template_dir.string();
  }
  return args;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

BenchRun run_benchmark(const std::filesystem::path& binary, const std::vector<std::string>& args,
                       const std::filesystem::path& guest_dir,
                       const std::filesystem::path& log_dir) {
  BenchRun run;
  run.name = binary.filename().string();
  run.log = (log_dir / (run.name + ".log")).string();
  std::string command = shell_quote(binary.string());
  for (const auto& a : args) command += " " + shell_quote(a);
  run.command = command;
  const std::string shell = "AETHER_GUEST_DIR=" + shell_quote(guest_dir.string()) + " " + command +
                            " >" + shell_quote(run.log) + " 2>&1";
  const auto start = std::chrono::steady_clock::now();
  run.exit_code = devstack::run_command(shell).exit_code;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ifstream in(run.log);
  std::stringstream output;
  output << in.rdbuf();
  collect_figures(output.str(), run);
  if (run.exit_code != 0) {
    run.problems.push_back("exited with " + std::to_string(run.exit_code) + " (see " + run.log +
                           ")");
  }
  if (run.figures.empty()) run.problems.push_back("printed no BENCH line");
  return run;
}

}  // namespace aether::bench_report
