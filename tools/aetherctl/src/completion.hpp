// Shell completion scripts generated from the CLI11 command tree, so they
// never drift from the commands: `aetherctl completion bash|zsh`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace aether::ctl {

[[nodiscard]] std::string bash_completion(const CLI::App& app);
[[nodiscard]] std::string zsh_completion(const CLI::App& app);

}  // namespace aether::ctl
