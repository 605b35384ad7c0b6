// Reaper: every AETHER_REAP_INTERVAL stops VMs whose TTL expired or that were
// idle too long, fails VMs whose hypervisor died, deletes stopped/failed VMs
// after their retention, drops the graveyard's subscriptions and updates the
// gauges (update_metrics(), also called at start).
//
// Lifecycle: start() runs its thread, stop() joins it.
#pragma once

#include <stop_token>
#include <thread>

#include "capacity.hpp"
#include "lifecycle.hpp"
#include "vm_registry.hpp"
#include "worker_config.hpp"
#include "worker_metrics.hpp"

namespace aether::worker {

class Reaper {
 public:
  Reaper(const WorkerConfig& config, VmRegistry& registry, Lifecycle& lifecycle,
         const CapacityLedger& ledger, WorkerMetrics& metrics)
      : config_(config),
        registry_(registry),
        lifecycle_(lifecycle),
        ledger_(ledger),
        metrics_(metrics) {}

  void start() {
    thread_ = std::jthread([this](std::stop_token s) { loop(s); });
  }
  void stop() { thread_ = {}; }
  void update_metrics();

 private:
  void loop(std::stop_token stop);
  void reap_once();

  const WorkerConfig& config_;
  VmRegistry& registry_;
  Lifecycle& lifecycle_;
  const CapacityLedger& ledger_;
  WorkerMetrics& metrics_;
  std::jthread thread_;
};

}  // namespace aether::worker
