// Running a shell command and reading what it printed: for tests that check
// the host with its own tools (`ip`, `nft`, `bridge`, a CLI under test).
#pragma once

#include <string>

namespace aether::devstack {

struct CommandResult {
  int exit_code = -1;  // -1 when it did not exit normally (or could not start)
  std::string output;  // its standard output
};

// Runs `command` with /bin/sh -c and waits for it.
[[nodiscard]] CommandResult run_command(const std::string& command);

}  // namespace aether::devstack
