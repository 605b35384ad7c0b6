// One VM this worker holds: its command (id, tenant, spec), its state in the
// lifecycle, the runtime's Vm handle once booted, the capacity it reserved,
// its bus subscriptions and the times the TTL/idle reaper looks at.
//
// Lifecycle: created SCHEDULED when a create is accepted (or as a warm-pool
// VM, with no vm id yet); the Worker drives every transition. The Vm handle is
// dropped (hypervisor killed) when it stops, fails or is deleted.
// Threads: shared by the consumer, boot, op-handler and reaper threads; every
// field is guarded by mutex_ except the immutable ones. Calls into the Vm are
// made on a shared_ptr copy taken under the lock, so a slow exec never holds it.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aether/bus/serve.hpp"
#include "aether/net/host_network.hpp"
#include "aether/trace/trace.hpp"
#include "aether/v1/vm.pb.h"
#include "aether/vmm/vm.hpp"
#include "capacity.hpp"

namespace aether::worker {

using Clock = std::chrono::steady_clock;
using WallClock = std::chrono::system_clock;

class HostedVm {
 public:
  HostedVm(std::string id, std::filesystem::path dir, Resources reserved)
      : id_(std::move(id)), dir_(std::move(dir)), reserved_(reserved) {}

  [[nodiscard]] const std::string& id() const { return id_; }  // runtime id (= vm id, or pool-…)
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] Resources reserved() const { return reserved_; }

  mutable std::mutex mutex_;
  // Guarded by mutex_:
  v1::CreateVm create;  // empty vm_id while in the warm pool
  v1::VmState state = v1::VM_STATE_UNSPECIFIED;
  std::shared_ptr<vmm::Vm> vm;
  std::optional<trace::SpanContext> trace_parent;  // the create command's trace
  WallClock::time_point created_at = WallClock::now();
  std::optional<WallClock::time_point> ready_at;
  Clock::time_point ready_steady{};
  Clock::time_point last_activity = Clock::now();
  Clock::time_point finished_at{};  // when it became STOPPED or FAILED
  int active_ops = 0;               // execs/file ops running (not idle)
  bool resources_released = false;
  std::vector<bus::Subscription> subscriptions;
  std::optional<net::Attachment> network;  // TAP, address and rules while spec.network

 private:
  const std::string id_;
  const std::filesystem::path dir_;
  const Resources reserved_;
};

}  // namespace aether::worker
