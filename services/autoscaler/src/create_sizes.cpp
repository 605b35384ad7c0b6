#include "create_sizes.hpp"

namespace aether::autoscaler {

void CreateSizes::record(double vcpus, double memory_mib) {
  std::lock_guard lock(mutex_);
  Resources r{vcpus, memory_mib, 1};
  recent_.push_back(r);
  sum_ += r;
  if (recent_.size() > window_) {
    sum_ += recent_.front().times(-1);
    recent_.pop_front();
  }
}

Resources CreateSizes::queued(std::uint64_t pending) const {
  std::lock_guard lock(mutex_);
  const double n = static_cast<double>(pending);
  Resources mean = default_;
  if (!recent_.empty()) mean = sum_.times(1.0 / static_cast<double>(recent_.size()));
  return {mean.vcpus * n, mean.memory_mib * n, n};
}

}  // namespace aether::autoscaler
