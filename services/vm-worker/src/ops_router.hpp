// OpsRouter: serves aether.vm.<id>.exec|files.put|files.get|status|stop|delete|
// pause|resume for a VM this worker holds (eight subscriptions, each on its own cnats
// delivery thread, so a long exec never blocks status or stop). A handler
// finds the VM in the registry on every request; a guest that dies under
// a request fails the VM (503).
//
// Threads: subscribe() from any thread; the handlers run on cnats threads.
#pragma once

#include <memory>

#include "aether/bus/connection.hpp"
#include "errors.hpp"
#include "hosted_vm.hpp"
#include "lifecycle.hpp"
#include "pauser.hpp"
#include "vm_registry.hpp"
#include "worker_config.hpp"
#include "worker_metrics.hpp"

namespace aether::worker {

class OpsRouter {
 public:
  OpsRouter(const WorkerConfig& config, bus::Connection& connection, VmRegistry& registry,
            Lifecycle& lifecycle, Pauser& pauser, WorkerMetrics& metrics)
      : config_(config),
        connection_(connection),
        registry_(registry),
        lifecycle_(lifecycle),
        pauser_(pauser),
        metrics_(metrics) {}

  // Subscribes the VM's request subjects; they stay in vm->subscriptions.
  [[nodiscard]] Result<void> subscribe(const std::shared_ptr<HostedVm>& vm);

 private:
  const WorkerConfig& config_;
  bus::Connection& connection_;
  VmRegistry& registry_;
  Lifecycle& lifecycle_;
  Pauser& pauser_;
  WorkerMetrics& metrics_;
};

}  // namespace aether::worker
