#include "capacity.hpp"

#include <fmt/format.h>
#include <algorithm>

namespace aether::worker {

std::string describe(const Resources& r) {
  return fmt::format("{} vCPU, {} MiB, {} VM", r.vcpus, r.memory_mib, r.vms);
}

bool CapacityLedger::try_reserve(const Resources& r) {
  std::lock_guard lock(mutex_);
  const Resources room{total_.vcpus - used_.vcpus, total_.memory_mib - used_.memory_mib,
                       total_.vms - used_.vms};
  if (!r.fits_in(room)) return false;
  used_.vcpus += r.vcpus;
  used_.memory_mib += r.memory_mib;
  used_.vms += r.vms;
  return true;
}

void CapacityLedger::release(const Resources& r) {
  std::lock_guard lock(mutex_);
  used_.vcpus -= std::min(used_.vcpus, r.vcpus);
  used_.memory_mib -= std::min(used_.memory_mib, r.memory_mib);
  used_.vms -= std::min(used_.vms, r.vms);
}

Resources CapacityLedger::used() const {
  std::lock_guard lock(mutex_);
  return used_;
}

Resources CapacityLedger::free() const {
  std::lock_guard lock(mutex_);
  return {total_.vcpus - used_.vcpus, total_.memory_mib - used_.memory_mib, total_.vms - used_.vms};
}

}  // namespace aether::worker
