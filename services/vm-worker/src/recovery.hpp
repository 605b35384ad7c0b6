// Recovery: start-up handling of what a previous run of this worker left
// under <state_dir>/vms (crash, SIGKILL, node reboot); see recovery.cpp.
#pragma once

#include "aether/bus/connection.hpp"
#include "lifecycle.hpp"
#include "ops_router.hpp"
#include "pauser.hpp"
#include "vm_registry.hpp"
#include "worker_config.hpp"

namespace aether::worker {

// Recovery findings of Worker::start(): VMs failed, hypervisors killed.
struct RecoveryReport {
  int vms_failed = 0;
  int processes_killed = 0;
};

class Recovery {
 public:
  Recovery(const WorkerConfig& config, bus::Connection& connection, Lifecycle& lifecycle,
           Pauser& pauser, VmRegistry& registry, OpsRouter& ops)
      : config_(config),
        connection_(connection),
        lifecycle_(lifecycle),
        pauser_(pauser),
        registry_(registry),
        ops_(ops) {}

  [[nodiscard]] RecoveryReport run();

 private:
  // A VM this worker had paused: registered and served again, PAUSED.
  bool adopt_paused(const std::filesystem::path& dir, const v1::CreateVm& create, std::string& why);

  const WorkerConfig& config_;
  bus::Connection& connection_;
  Lifecycle& lifecycle_;
  Pauser& pauser_;
  VmRegistry& registry_;
  OpsRouter& ops_;
};

}  // namespace aether::worker
