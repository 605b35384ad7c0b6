// WarmPool: booted VMs of one template and size (AETHER_WARM_POOL_*) waiting
// for a create that matches. They count against capacity (and as free room
// for the pull decision: a create evicts them), are refilled by the pool's
// own thread (each boot takes a boot slot) and replaced when they die.
//
// Lifecycle: start() runs the refill thread, stop() joins it; empty() kills
// and removes every pool VM.
// Threads: every method from any thread.
#pragma once

#include <memory>
#include <stop_token>
#include <thread>

#include "aether/vmm/runtime.hpp"
#include "boot_slots.hpp"
#include "capacity.hpp"
#include "lifecycle.hpp"
#include "runtime_health.hpp"
#include "vm_registry.hpp"
#include "worker_config.hpp"
#include "worker_flags.hpp"
#include "worker_metrics.hpp"

namespace aether::worker {

class WarmPool {
 public:
  WarmPool(const WorkerConfig& config, vmm::Runtime& runtime, VmRegistry& registry,
           CapacityLedger& ledger, BootSlots& slots, RuntimeHealth& health, Lifecycle& lifecycle,
           WorkerMetrics& metrics, const WorkerFlags& flags)
      : config_(config),
        runtime_(runtime),
        registry_(registry),
        ledger_(ledger),
        slots_(slots),
        health_(health),
        lifecycle_(lifecycle),
        metrics_(metrics),
        flags_(flags) {}

  void start();
  void stop() { thread_ = {}; }

  [[nodiscard]] bool matches(const v1::VmSpec& spec) const;
  // A pool VM for `spec` (taken out of the pool), or nullptr.
  [[nodiscard]] std::shared_ptr<HostedVm> take(const v1::VmSpec& spec);
  // Reserves `need`, evicting pool VMs (newest first) while it does not fit.
  [[nodiscard]] bool reserve_with_eviction(const Resources& need);
  // Kills a VM taken out of the pool, gives back its room and removes its dir.
  void discard(HostedVm& vm);
  void empty();

 private:
  void loop(std::stop_token stop);
  void refill_one(const v1::VmSpec& spec, const Resources& need, std::uint64_t random, bool& ok);

  const WorkerConfig& config_;
  vmm::Runtime& runtime_;
  VmRegistry& registry_;
  CapacityLedger& ledger_;
  BootSlots& slots_;
  RuntimeHealth& health_;
  Lifecycle& lifecycle_;
  WorkerMetrics& metrics_;
  const WorkerFlags& flags_;
  std::jthread thread_;
};

}  // namespace aether::worker
