// RuntimeHealth: whether this worker's runtime can boot VMs at all.
//
// A boot can fail because of the VM (the guest broke its protocol) or because
// of the node (the VMM binary or the guest image is missing, the hypervisor
// dies at start, KVM hangs every guest). A node fault would fail every create
// this worker fetches while healthy workers stand idle, so after one the
// worker hands the create back to the queue and stops fetching for a while
// (a circuit breaker: retry_after, doubling up to retry_max); then it lets one
// create through as a trial, and a successful boot closes the breaker.
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "aether/vmm/errors.hpp"

namespace aether::worker {

// True for boot errors that say the node cannot boot VMs, not this VM.
[[nodiscard]] bool is_node_fault(vmm::Errc code);

class RuntimeHealth {
 public:
  using Clock = std::chrono::steady_clock;
  RuntimeHealth(std::chrono::milliseconds retry_after, std::chrono::milliseconds retry_max);

  // May a boot start now? While the breaker is open: no until the retry time,
  // then yes for one trial boot at a time.
  [[nodiscard]] bool may_boot(Clock::time_point now = Clock::now());
  void boot_started();  // call after may_boot() said yes and a boot begins
  void boot_succeeded();
  void boot_failed_on_node(const std::string& why, Clock::time_point now = Clock::now());
  // A boot that ended for another reason (VM fault, deleted meanwhile).
  void boot_ended();

  // Why the runtime is unusable (for /readyz and WorkerStatus); nullopt: healthy.
  [[nodiscard]] std::optional<std::string> fault() const;

 private:
  const std::chrono::milliseconds retry_after_;
  const std::chrono::milliseconds retry_max_;
  mutable std::mutex mutex_;
  std::optional<std::string> fault_;      // guarded by mutex_
  std::chrono::milliseconds backoff_{0};  // guarded by mutex_
  Clock::time_point retry_at_{};          // guarded by mutex_
  bool trial_running_ = false;            // guarded by mutex_
};

}  // namespace aether::worker
