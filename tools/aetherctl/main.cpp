// aetherctl: wiring only (see src/cli.cpp).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "aether/trace/exporter.hpp"
#include "cli.hpp"

int main(int argc, char** argv) {
  // stdout is the command's answer (scripts parse it): library logs go to
  // stderr, and only warnings and errors.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("aetherctl"));
  spdlog::set_level(spdlog::level::warn);
  // Spans of `bus publish|request` reach the collector when OTEL_* says where.
  (void)aether::trace::init_from_env("aetherctl");
  int code =
      aether::ctl::run(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
  aether::trace::shutdown(std::chrono::seconds(2));
  return code;
}
