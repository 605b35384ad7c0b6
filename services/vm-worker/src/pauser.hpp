// Pauser: pause and resume of a VM this worker holds (aether.vm.<id>.pause|
// resume, libs/vmm Vm::pause / Runtime::resume), and the check that lets a
// restarted worker adopt a VM it had paused.
//
// Pause: READY -> PAUSING -> PAUSED. The VM's memory and device state go to
// <vm dir>/paused, its hypervisor ends, and its capacity goes back to the
// ledger (the warm pool and new creates may use it); its TAP, if any, stays
// attached. Resume: PAUSED -> RESUMING -> READY on this worker, after taking
// the capacity again (warm-pool VMs are evicted for it if need be); no room
// now is a 409 naming the room (a 4xx: the api passes it on), and the VM stays
// PAUSED. The TTL keeps running while paused (it bounds a VM's life, and a
// paused VM still holds disk): the reaper stops a paused VM whose TTL passed
// (Lifecycle::stop_paused removes its saved state). The idle timeout does not
// run while paused.
//
// A worker restarted while a VM is paused adopts it again (Recovery, through
// adoptable()): PAUSED on this worker and resumable, its TTL counted from the
// restart. A networked paused VM cannot be (its TAP went with the old run),
// nor one whose pause record is unreadable: those are reported FAILED.
//
// Threads: pause()/resume() on the VM's request threads; adoptable() at start.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "aether/bus/serve.hpp"
#include "aether/v1/worker.pb.h"
#include "aether/vmm/runtime.hpp"
#include "boot_slots.hpp"
#include "capacity.hpp"
#include "hosted_vm.hpp"
#include "lifecycle.hpp"
#include "vm_registry.hpp"
#include "warm_pool.hpp"
#include "worker_config.hpp"

namespace aether::worker {

class Pauser {
 public:
  Pauser(const WorkerConfig& config, vmm::Runtime& runtime, CapacityLedger& ledger,
         VmRegistry& registry, Lifecycle& lifecycle, WarmPool& pool, BootSlots& slots)
      : config_(config),
        runtime_(runtime),
        ledger_(ledger),
        registry_(registry),
        lifecycle_(lifecycle),
        pool_(pool),
        slots_(slots) {}

  [[nodiscard]] bus::Result<v1::VmOpReply> pause(const std::string& vm_id);
  [[nodiscard]] bus::Result<v1::VmOpReply> resume(const std::string& vm_id);

  // Recovery: the VM paused in `dir`, as a PAUSED HostedVm not yet registered;
  // nullptr when it is not paused (why empty) or cannot be adopted (why says so).
  [[nodiscard]] std::shared_ptr<HostedVm> adoptable(const std::filesystem::path& dir,
                                                    const v1::CreateVm& create,
                                                    std::string& why) const;

 private:
  const WorkerConfig& config_;
  vmm::Runtime& runtime_;
  CapacityLedger& ledger_;
  VmRegistry& registry_;
  Lifecycle& lifecycle_;
  WarmPool& pool_;
  BootSlots& slots_;
};

}  // namespace aether::worker
