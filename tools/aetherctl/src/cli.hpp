// The aetherctl command line (CLI11): every command, its flags, the global
// settings (flags > environment > config file), and dispatch. `run()` is what
// main() calls; tests call it with their own streams and environment.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace aether::ctl {

// args: without the program name. Returns the process exit code.
[[nodiscard]] int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace aether::ctl
