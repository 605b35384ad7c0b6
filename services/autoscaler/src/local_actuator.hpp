// LocalActuator: starts and stops aether-vm-worker processes on this machine
// (`make run`, the local e2e). Worker i gets AETHER_WORKER_ID=<prefix>-<i>,
// AETHER_STATE_DIR=<state_dir>/<id>, a free admin port, NATS_URL, and the
// configured extra KEY=VALUE items; the rest of the environment is
// inherited. Removing a worker sends it SIGTERM (it is drained and empty by
// then, so it exits at once) and waits for it.
//
// Threads: the controller thread only. The destructor stops every worker
// (SIGTERM, then SIGKILL after stop_grace).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "actuator.hpp"
#include "aether/process/process.hpp"

namespace aether::autoscaler {

struct LocalConfig {
  std::filesystem::path binary;     // aether-vm-worker
  std::filesystem::path state_dir;  // one directory per worker below it
  std::string nats_url;
  std::string id_prefix = "local-worker";
  std::vector<std::string> env;  // extra KEY=VALUE items for every worker
  std::chrono::milliseconds stop_grace{30'000};
};

class LocalActuator final : public Actuator {
 public:
  explicit LocalActuator(LocalConfig config) : config_(std::move(config)) {}
  ~LocalActuator() override;
  [[nodiscard]] std::string_view kind() const override { return "local"; }
  [[nodiscard]] Result<int> current() override;
  // Only the workers it started (a worker started otherwise is fixed capacity).
  [[nodiscard]] bool managed(const std::string& worker_id) override {
    return workers_.contains(worker_id);
  }
  [[nodiscard]] Result<void> scale(const ScaleRequest& request) override;
  // Ids of the worker processes running now.
  [[nodiscard]] std::vector<std::string> running();

 private:
  [[nodiscard]] Result<void> start_one();
  void stop_one(const std::string& id);

  LocalConfig config_;
  int next_ = 1;
  std::map<std::string, process::ChildProcess> workers_;
};

}  // namespace aether::autoscaler
