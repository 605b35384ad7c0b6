// FleetView: the live workers, kept from the aether_workers KV watch (a put
// is a heartbeat, a delete or an expired key is a worker gone). A heartbeat
// that does not decode is skipped and counted, never fatal. A worker that
// pulls from a create consumer the autoscaler does not watch (its
// AETHER_VM_CLASSES differs from the autoscaler's) is logged once: that
// class's backlog is not counted as demand.
//
// Threads: apply() runs on the KV watch thread, snapshot() on the
// controller's; a mutex guards the map.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "aether/v1/worker.pb.h"
#include "fleet_types.hpp"

namespace aether::autoscaler {

enum class FleetChange { kNone, kUpdated, kRemoved, kUndecodable };

class FleetView {
 public:
  // watched: the create consumers whose backlog is demand (empty: no check).
  explicit FleetView(std::vector<std::string> watched = {}) : watched_(std::move(watched)) {}
  // key = worker id; value = WorkerStatus (protobuf) or empty for a delete.
  FleetChange apply(const std::string& key, const std::string& value, bool deleted);
  [[nodiscard]] std::vector<WorkerView> snapshot() const;
  [[nodiscard]] std::uint64_t undecodable() const;
  // "worker/consumer" pairs seen that are not watched (each logged once).
  [[nodiscard]] std::vector<std::string> unwatched() const;

  [[nodiscard]] static WorkerView view_of(const v1::WorkerStatus& status);

 private:
  mutable std::mutex mutex_;  // guards workers_, undecodable_
  std::map<std::string, WorkerView> workers_;
  std::uint64_t undecodable_ = 0;
  const std::vector<std::string> watched_;
  std::set<std::string> unwatched_;  // guarded by mutex_
};

}  // namespace aether::autoscaler
