#include "fleet.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace aether::autoscaler {

namespace {
Resources from(const v1::Capacity& c) {
  return {static_cast<double>(c.vcpus()), static_cast<double>(c.memory_mib()),
          static_cast<double>(c.max_vms())};
}
}  // namespace

WorkerView FleetView::view_of(const v1::WorkerStatus& s) {
  WorkerView w;
  w.id = s.worker_id();
  w.node = s.node();
  w.capacity = from(s.capacity());
  w.used = from(s.used());
  if (s.has_free()) {
    // Free room counts warm-pool VMs as free (a create evicts them), so
    // demand is what is left when they are taken out.
    const Resources free = from(s.free());
    w.used = {std::max(0.0, w.capacity.vcpus - free.vcpus),
              std::max(0.0, w.capacity.memory_mib - free.memory_mib),
              std::max(0.0, w.capacity.vms - free.vms)};
  }
  w.vms = s.vms();
  w.draining = s.draining();
  w.runtime_fault = s.runtime_fault();
  return w;
}

FleetChange FleetView::apply(const std::string& key, const std::string& value, bool deleted) {
  std::lock_guard lock(mutex_);
  if (deleted) return workers_.erase(key) > 0 ? FleetChange::kRemoved : FleetChange::kNone;
  v1::WorkerStatus status;
  if (!status.ParseFromString(value) || status.worker_id().empty()) {
    ++undecodable_;
    spdlog::warn(
        "autoscaler: heartbeat of key '{}' in aether_workers ({} bytes) is not a "
        "WorkerStatus with a worker_id: skipped",
        key, value.size());
    return FleetChange::kUndecodable;
  }
  if (!watched_.empty()) {
    for (const auto& c : status.classes()) {
      if (c.consumer().empty() ||
          std::find(watched_.begin(), watched_.end(), c.consumer()) != watched_.end()) {
        continue;
      }
      if (unwatched_.insert(key + "/" + c.consumer()).second) {
        spdlog::warn(
            "autoscaler: worker {} pulls from create consumer {}, which this autoscaler does not "
            "watch (its AETHER_VM_CLASSES or AETHER_AUTOSCALER_CONSUMERS differ from the "
            "worker's): creates queued there are not counted as demand",
            key, c.consumer());
      }
    }
  }
  WorkerView w = view_of(status);
  w.id = key;  // the key is the worker's subject token
  workers_[key] = std::move(w);
  return FleetChange::kUpdated;
}

std::vector<WorkerView> FleetView::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<WorkerView> out;
  out.reserve(workers_.size());
  for (const auto& [id, w] : workers_) out.push_back(w);
  return out;
}

std::vector<std::string> FleetView::unwatched() const {
  std::lock_guard lock(mutex_);
  return {unwatched_.begin(), unwatched_.end()};
}

std::uint64_t FleetView::undecodable() const {
  std::lock_guard lock(mutex_);
  return undecodable_;
}

}  // namespace aether::autoscaler
