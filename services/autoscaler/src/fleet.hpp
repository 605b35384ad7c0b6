// FleetView: the live workers, kept from the aether_workers KV watch (a put
// is a heartbeat, a delete or an expired key is a worker gone). A heartbeat
// that does not decode is skipped and counted, never fatal.
//
// Threads: apply() runs on the KV watch thread, snapshot() on the
// controller's; a mutex guards the map.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "aether/v1/worker.pb.h"
#include "fleet_types.hpp"

namespace aether::autoscaler {

enum class FleetChange { kNone, kUpdated, kRemoved, kUndecodable };

class FleetView {
 public:
  // key = worker id; value = WorkerStatus (protobuf) or empty for a delete.
  FleetChange apply(const std::string& key, const std::string& value, bool deleted);
  [[nodiscard]] std::vector<WorkerView> snapshot() const;
  [[nodiscard]] std::uint64_t undecodable() const;

  [[nodiscard]] static WorkerView view_of(const v1::WorkerStatus& status);

 private:
  mutable std::mutex mutex_;  // guards workers_, undecodable_
  std::map<std::string, WorkerView> workers_;
  std::uint64_t undecodable_ = 0;
};

}  // namespace aether::autoscaler
