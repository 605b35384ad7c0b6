// ExecActuator: runs a configured shell command with the desired count, for
// cloud CLIs (e.g. `aws autoscaling set-desired-capacity ... --desired-capacity "$1"`).
//
// The command runs as `/bin/sh -c COMMAND aether-autoscaler TO` (so $1 is the
// count) with AETHER_SCALE_FROM, AETHER_SCALE_TO, AETHER_SCALE_REMOVE_WORKERS
// and AETHER_SCALE_REMOVE_NODES (comma-separated) in its environment. Exit 0
// is success; anything else, or running past the timeout (killed), is an
// error carrying the end of its output. current(): the optional query
// command's stdout (an integer), else the last count set, else the workers
// seen in aether_workers.
//
// Threads: the controller thread only.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "actuator.hpp"

namespace aether::autoscaler {

struct ExecConfig {
  std::string command;        // required
  std::string query_command;  // optional: prints the current count
  std::chrono::milliseconds timeout{60'000};
  std::filesystem::path log_dir = "/tmp";  // command output goes to a file here
};

class ExecActuator final : public Actuator {
 public:
  ExecActuator(ExecConfig config, ObservedWorkers observed)
      : config_(std::move(config)), observed_(std::move(observed)) {}
  [[nodiscard]] std::string_view kind() const override { return "exec"; }
  [[nodiscard]] Result<int> current() override;
  [[nodiscard]] Result<void> scale(const ScaleRequest& request) override;

 private:
  // Runs `script` with `args` and extra environment; returns its output.
  [[nodiscard]] Result<std::string> run(const std::string& script,
                                        const std::vector<std::string>& env,
                                        const std::vector<std::string>& args);

  ExecConfig config_;
  ObservedWorkers observed_;
  int replicas_ = -1;
};

}  // namespace aether::autoscaler
