#include "runtime_health.hpp"

#include <algorithm>

namespace aether::worker {

bool is_node_fault(vmm::Errc code) {
  switch (code) {
    case vmm::Errc::kMissingFile:  // VMM binary, kernel or initrd gone
    case vmm::Errc::kSpawn:        // the VMM could not start or died at start
    case vmm::Errc::kUnsupported:  // e.g. no usable KVM for this runtime
    case vmm::Errc::kIo:           // a host system call failed
    case vmm::Errc::kBootTimeout:  // our own guest image never said hello here
      return true;
    default:
      return false;
  }
}

RuntimeHealth::RuntimeHealth(std::chrono::milliseconds retry_after,
                             std::chrono::milliseconds retry_max)
    : retry_after_(retry_after), retry_max_(std::max(retry_max, retry_after)) {}

bool RuntimeHealth::may_boot(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (!fault_) return true;
  return !trial_running_ && now >= retry_at_;
}

void RuntimeHealth::boot_started() {
  std::lock_guard lock(mutex_);
  if (fault_) trial_running_ = true;
}

void RuntimeHealth::boot_succeeded() {
  std::lock_guard lock(mutex_);
  fault_.reset();
  backoff_ = std::chrono::milliseconds{0};
  trial_running_ = false;
}

void RuntimeHealth::boot_failed_on_node(const std::string& why, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  backoff_ = backoff_.count() == 0 ? retry_after_ : std::min(backoff_ * 2, retry_max_);
  retry_at_ = now + backoff_;
  fault_ = why;
  trial_running_ = false;
}

void RuntimeHealth::boot_ended() {
  std::lock_guard lock(mutex_);
  trial_running_ = false;
}

std::optional<std::string> RuntimeHealth::fault() const {
  std::lock_guard lock(mutex_);
  return fault_;
}

}  // namespace aether::worker
