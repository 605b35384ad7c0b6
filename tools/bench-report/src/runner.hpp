// Finds the aether-bench-* binaries of a build tree and runs them one after
// another (never in parallel: they measure the machine), each with its output
// in <log_dir>/<name>.log, collecting its BENCH lines.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "report.hpp"

namespace aether::bench_report {

// Executable regular files named aether-bench-* under build_dir (CMakeFiles
// skipped), sorted by name.
[[nodiscard]] std::vector<std::filesystem::path> find_benchmarks(
    const std::filesystem::path& build_dir);

// What the microVM benchmarks boot: the guest image (vmm_guest_image builds
// it) and a container-image template (vmm_test_template: templates/python).
struct BenchPaths {
  std::filesystem::path guest_dir;
  std::filesystem::path template_dir;
};

// The arguments a benchmark gets: sizes from the --quick table when quick
// (see the README), and the guest or template dir for those that boot microVMs.
[[nodiscard]] std::vector<std::string> benchmark_args(const std::string& name, bool quick,
                                                      const BenchPaths& paths);

// POSIX shell single-quoting.
[[nodiscard]] std::string shell_quote(const std::string& text);

// Runs one benchmark (AETHER_GUEST_DIR set to guest_dir), output to its log.
[[nodiscard]] BenchRun run_benchmark(const std::filesystem::path& binary,
                                     const std::vector<std::string>& args,
                                     const std::filesystem::path& guest_dir,
                                     const std::filesystem::path& log_dir);

}  // namespace aether::bench_report
