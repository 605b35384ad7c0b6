// aether-migration-runner: wiring only (see src/cli.cpp).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
  // stdout carries the command's result (status --json must stay parseable);
  // logs go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("aether-migration-runner"));
  std::vector<std::string> args(argv + 1, argv + argc);
  aether::migrate::CliIo io{std::cout, std::cerr};
  return aether::migrate::run_cli(args, aether::migrate::process_env(), io, nullptr);
}
