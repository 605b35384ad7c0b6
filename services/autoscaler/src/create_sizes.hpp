// CreateSizes: what a queued create asks for, on average, from the CreateVm
// commands seen on the create subject(s) (the consumer's pending count says
// how many wait, not how big they are). Before any create is seen, the
// configured default size.
//
// Threads: record() on the subscription's thread, queued() on the
// controller's; a mutex guards the ring.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

#include "fleet_types.hpp"

namespace aether::autoscaler {

class CreateSizes {
 public:
  explicit CreateSizes(Resources default_size, std::size_t window = 256)
      : default_(default_size), window_(window) {}

  void record(double vcpus, double memory_mib);
  // Resources of `pending` creates of the mean recent size (vms = pending).
  [[nodiscard]] Resources queued(std::uint64_t pending) const;

 private:
  Resources default_;
  std::size_t window_;
  mutable std::mutex mutex_;  // guards recent_, sum_
  std::deque<Resources> recent_;
  Resources sum_;
};

}  // namespace aether::autoscaler
