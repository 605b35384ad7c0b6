// Lifecycle: every state change of a VM this worker handles, and its events.
//
// transition() checks the state machine (vm_state.hpp) and publishes the
// VmEvent (through the EventPublisher it owns, opened by open()); stop, fail
// and delete drive a hosted VM to its end and give back its resources
// (ledger, network, the room-changed signal); worker events go out the same
// way, in order.
//
// Threads: every method from any thread; the caller of a *_locked method
// holds the VM's mutex_. A VM's lock is never held while calling into its
// vmm::Vm for long (shutdown, kill run on a copy outside it).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "aether/bus/connection.hpp"
#include "aether/net/host_network.hpp"
#include "boot_slots.hpp"
#include "capacity.hpp"
#include "events.hpp"
#include "hosted_vm.hpp"
#include "vm_registry.hpp"
#include "worker_config.hpp"

namespace aether::worker {

class Lifecycle {
 public:
  Lifecycle(const WorkerConfig& config, std::string runtime_name, CapacityLedger& ledger,
            VmRegistry& registry, BootSlots& slots)
      : config_(config),
        runtime_name_(std::move(runtime_name)),
        ledger_(ledger),
        registry_(registry),
        slots_(slots) {}

  void open(bus::Connection connection) {
    events_ = std::make_unique<EventPublisher>(std::move(connection));
  }
  void set_network(net::HostNetwork* network) { network_ = network; }
  [[nodiscard]] net::HostNetwork* network() const { return network_; }
  // True when everything published so far is stored in time.
  bool flush(std::chrono::milliseconds timeout) { return events_->flush(timeout); }

  // Moves `vm` to `to` (if allowed) and publishes the VmEvent. False if refused.
  bool transition(HostedVm& vm, v1::VmState to, const std::string& reason);
  bool transition_locked(HostedVm& vm, std::unique_lock<std::mutex>& lock, v1::VmState to,
                         const std::string& reason);
  // FAILED for a VM this worker does not host (recovery, a dead peer's VM),
  // from `previous`. False if the state machine refuses.
  bool fail_unhosted(const v1::CreateVm& create, v1::VmState previous, const std::string& reason);
  void release_resources(HostedVm& vm);  // caller holds vm.mutex_; also detaches the network
  void release_network(HostedVm& vm);    // caller holds vm.mutex_
  // READY -> STOPPING -> STOPPED (graceful shutdown, kill when it does not).
  // `grace`: how long the guest gets to power off (default: the configured
  // stop grace); the STOPPED reason says whether it did or was killed.
  void stop_vm(const std::shared_ptr<HostedVm>& vm, const std::string& reason,
               std::optional<std::chrono::milliseconds> grace = std::nullopt);
  // PAUSED -> STOPPING -> STOPPED, its saved state removed (see pauser.hpp).
  void stop_paused(const std::shared_ptr<HostedVm>& vm, const std::string& reason);
  // Any state -> DELETED (through STOPPING/STOPPED when running); unregisters.
  void delete_vm(const std::shared_ptr<HostedVm>& vm, const std::string& reason);
  void fail_vm(const std::shared_ptr<HostedVm>& vm, const std::string& reason);
  void publish_worker_event(v1::WorkerState state, const std::string& reason);

 private:
  const WorkerConfig& config_;
  const std::string runtime_name_;
  CapacityLedger& ledger_;
  VmRegistry& registry_;
  BootSlots& slots_;
  net::HostNetwork* network_ = nullptr;  // set in Worker::start() when networking is on
  std::unique_ptr<EventPublisher> events_;
};

// VmEvent.runtime / accelerated from a runtime name ("qemu-tcg" -> qemu, false).
[[nodiscard]] std::pair<std::string, bool> runtime_facts(std::string_view runtime_name);

}  // namespace aether::worker
