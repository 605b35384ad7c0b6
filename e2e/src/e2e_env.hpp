// The environment of the e2e target interface (e2e/README.md): the only
// thing the scenarios know about the platform they run against. Read once
// from the process environment; the scenarios never look at target internals.
#pragma once

#include <string>
#include <vector>

namespace aether::e2e {

struct E2eEnv {
  std::string api_url;     // AETHER_API_URL
  std::string api_key;     // AETHER_API_KEY (an operator tenant's key)
  std::string nats_url;    // NATS_URL
  std::string jaeger_url;  // AETHER_JAEGER_URL (may be empty: trace scenarios skip)
  std::string target;      // AETHER_E2E_TARGET
  std::string control;     // AETHER_E2E_CONTROL (may be empty: fault scenarios skip)
  std::string aetherctl;   // AETHER_E2E_AETHERCTL, else found next to the build
  int chaos_creates = 24;  // AETHER_E2E_CHAOS_CREATES

  // What is missing or malformed, one line each (empty: usable).
  [[nodiscard]] std::vector<std::string> problems() const;
};

// The process's env, read on first use. `argv0` helps find aetherctl next to
// the build when AETHER_E2E_AETHERCTL is unset.
[[nodiscard]] const E2eEnv& env();
void init_env(const char* argv0);

}  // namespace aether::e2e
