// aetherctl: wiring only (see src/cli.cpp).
#include <iostream>

#include "aether/trace/exporter.hpp"
#include "cli.hpp"

int main(int argc, char** argv) {
  // Spans of `bus publish|request` reach the collector when OTEL_* says where.
  (void)aether::trace::init_from_env("aetherctl");
  int code =
      aether::ctl::run(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
  aether::trace::shutdown(std::chrono::seconds(2));
  return code;
}
