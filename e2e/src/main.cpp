// aether-e2e: the end-to-end scenarios (e2e/scenarios/) against whatever
// platform the target interface's environment names (e2e/README.md). Catch2
// runs them; --check-config, --version and our part of --help come first.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstring>
#include <iostream>

#include "e2e_env.hpp"

namespace {

void print_config(const aether::e2e::E2eEnv& e) {
  const auto masked = e.api_key.size() > 6 ? e.api_key.substr(0, 6) + "..." : "(unset)";
  std::cout << "AETHER_API_URL=" << e.api_url << "\nAETHER_API_KEY=" << masked
            << "\nNATS_URL=" << e.nats_url << "\nAETHER_JAEGER_URL=" << e.jaeger_url
            << "\nAETHER_E2E_TARGET=" << e.target << "\nAETHER_E2E_CONTROL=" << e.control
            << "\nAETHER_E2E_AETHERCTL=" << e.aetherctl
            << "\nAETHER_E2E_CHAOS_CREATES=" << e.chaos_creates << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  aether::e2e::init_env(argc > 0 ? argv[0] : nullptr);
  const auto& e = aether::e2e::env();
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::cout << "aether-e2e " << AETHER_VERSION << "\n";
      return 0;
    }
    if (std::strcmp(argv[i], "--check-config") == 0) {
      print_config(e);
      for (const auto& p : e.problems()) std::cerr << "aether-e2e: " << p << "\n";
      return e.problems().empty() ? 0 : 2;
    }
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << "aether-e2e: Aether's end-to-end scenarios (run through e2e/run.sh TARGET).\n"
                   "Environment: AETHER_API_URL AETHER_API_KEY NATS_URL AETHER_JAEGER_URL\n"
                   "AETHER_E2E_TARGET AETHER_E2E_CONTROL [AETHER_E2E_AETHERCTL]\n"
                   "[AETHER_E2E_CHAOS_CREATES]. --check-config prints them; --version.\n"
                   "Catch2's options follow.\n\n";
      return Catch::Session().run(argc, argv);
    }
  }
  if (!e.problems().empty()) {
    for (const auto& p : e.problems()) std::cerr << "aether-e2e: " << p << "\n";
    std::cerr << "aether-e2e: run it through e2e/run.sh TARGET, which sets the environment\n";
    return 2;
  }
  return Catch::Session().run(argc, argv);
}
