// Booter: boots (or restores) an accepted VM on a thread of its own and
// settles its create command: READY (its request subjects served) or FAILED
// with the reason, stored in the event stream before the ack; a boot that
// fails for a node reason hands the create back (PENDING, nak) instead.
// While the guest boots, in-progress keeps the command ours. With
// AETHER_SNAPSHOTS, after a template/size's first cold boot it makes the
// snapshot later creates are restored from (booter_snapshot.cpp).
//
// Threads: start() from the pull threads; one boot thread per VM (BootSlots).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "aether/bus/jetstream.hpp"
#include "aether/bus/pull.hpp"
#include "aether/vmm/runtime.hpp"
#include "boot_slots.hpp"
#include "capacity.hpp"
#include "heartbeat.hpp"
#include "hosted_vm.hpp"
#include "lifecycle.hpp"
#include "ops_router.hpp"
#include "runtime_health.hpp"
#include "vm_registry.hpp"
#include "worker_config.hpp"
#include "worker_flags.hpp"
#include "worker_metrics.hpp"

namespace aether::worker {

class Booter {
 public:
  struct Parts {
    vmm::Runtime& runtime;
    CapacityLedger& ledger;
    BootSlots& slots;
    RuntimeHealth& health;
    Lifecycle& lifecycle;
    VmRegistry& registry;
    OpsRouter& ops;
    Heartbeat& heartbeat;
    WorkerMetrics& metrics;
    const WorkerFlags& flags;
  };
  Booter(const WorkerConfig& config, Parts parts) : config_(config), p_(parts) {}

  // Boots `hosted` (SCHEDULED, registered, resources reserved) for `message`.
  void start(bus::JsMessage message, std::shared_ptr<HostedVm> hosted, Clock::time_point fetched);

 private:
  void boot(std::shared_ptr<bus::JsMessage> message, std::shared_ptr<HostedVm> hosted,
            std::optional<trace::SpanContext> parent, Clock::time_point fetched);
  // After a boot failed for a node reason: hand the create back to the queue
  // (the VM goes back to PENDING) so a healthy worker takes it.
  void requeue(bus::JsMessage& message, const std::shared_ptr<HostedVm>& hosted,
               const std::string& why);
  // Boot or restore a VM of spec; `restored`: set when it came from a snapshot.
  [[nodiscard]] vmm::Result<std::unique_ptr<vmm::Vm>> boot_or_restore(const vmm::VmConfig& config,
                                                                      const v1::VmSpec& spec,
                                                                      bool& restored);
  void make_snapshot_if_missing(const v1::VmSpec& spec);
  [[nodiscard]] std::filesystem::path snapshot_dir(const v1::VmSpec& spec) const;

  const WorkerConfig& config_;
  Parts p_;
  std::mutex snapshot_mutex_;  // one snapshot being made at a time
};

}  // namespace aether::worker
