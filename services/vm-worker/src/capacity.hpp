// Capacity accounting: what this worker may host (vCPUs, memory, VM count)
// and what is reserved now. A VM reserves its resources before it boots
// (warm-pool VMs included) and releases them once it is stopped, failed or
// deleted.
//
// Threads: every method is safe from any thread (one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

namespace aether::worker {

struct Resources {
  std::uint32_t vcpus = 0;
  std::uint64_t memory_mib = 0;
  std::uint32_t vms = 0;

  [[nodiscard]] bool fits_in(const Resources& room) const {
    return vcpus <= room.vcpus && memory_mib <= room.memory_mib && vms <= room.vms;
  }
  friend bool operator==(const Resources&, const Resources&) = default;
};

[[nodiscard]] std::string describe(const Resources& r);

class CapacityLedger {
 public:
  explicit CapacityLedger(Resources total) : total_(total) {}

  // Reserves `r` if it fits in what is free now.
  [[nodiscard]] bool try_reserve(const Resources& r);
  // Gives back a reservation (never below zero).
  void release(const Resources& r);

  [[nodiscard]] Resources total() const { return total_; }
  [[nodiscard]] Resources used() const;
  [[nodiscard]] Resources free() const;
  // Whether a VM of `r` could ever fit on this node (empty node).
  [[nodiscard]] bool could_ever_fit(const Resources& r) const { return r.fits_in(total_); }

 private:
  const Resources total_;
  mutable std::mutex mutex_;
  Resources used_;  // guarded by mutex_
};

}  // namespace aether::worker
