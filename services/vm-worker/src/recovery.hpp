// Recovery: start-up handling of what a previous run of this worker left
// under <state_dir>/vms (crash, SIGKILL, node reboot); see recovery.cpp.
#pragma once

#include "aether/bus/connection.hpp"
#include "lifecycle.hpp"
#include "worker_config.hpp"

namespace aether::worker {

// Recovery findings of Worker::start(): VMs failed, hypervisors killed.
struct RecoveryReport {
  int vms_failed = 0;
  int processes_killed = 0;
};

class Recovery {
 public:
  Recovery(const WorkerConfig& config, bus::Connection& connection, Lifecycle& lifecycle)
      : config_(config), connection_(connection), lifecycle_(lifecycle) {}

  [[nodiscard]] RecoveryReport run();

 private:
  const WorkerConfig& config_;
  bus::Connection& connection_;
  Lifecycle& lifecycle_;
};

}  // namespace aether::worker
