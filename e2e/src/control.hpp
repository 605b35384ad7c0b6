// Faults through $AETHER_E2E_CONTROL (the target interface): runs
// "<control> <verb> [args]" with /bin/sh and returns its exit code and
// stdout. Exit 3 means the target cannot inject this fault: the scenario
// then skips with the target's message.
#pragma once

#include <string>
#include <vector>

namespace aether::e2e {

struct ControlResult {
  int exit_code = -1;  // -1: could not run at all
  std::string out;     // stdout, trailing newline removed
  [[nodiscard]] bool ok() const { return exit_code == 0; }
  [[nodiscard]] bool unsupported() const { return exit_code == 3; }
};

// False when AETHER_E2E_CONTROL is unset (every fault scenario skips).
[[nodiscard]] bool control_available();
[[nodiscard]] ControlResult control(const std::string& verb,
                                    const std::vector<std::string>& args = {});
// worker-list, one id per line.
[[nodiscard]] std::vector<std::string> worker_list();

}  // namespace aether::e2e
