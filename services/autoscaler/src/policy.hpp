// ScalingPolicy: how many workers the fleet should have, from demand (queued
// creates plus the VMs running on usable workers) over one worker's capacity,
// plus headroom, bounded by min and max. Scale-up is immediate (at most
// max_step_up workers per decision); scale-down only to the highest target
// seen during the stabilisation window (so oscillating load does not flap)
// and only by removing idle workers. Workers with a runtime fault or draining
// are not capacity. Workers the actuator does not manage are fixed capacity:
// the decision's from/to/target are the actuator's own count.
//
// Lifecycle: one object per leader term (its window history starts empty, so
// a new leader never scales down before one full window). Threads: one
// thread (the controller's) calls decide().
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aether/v1/scale.pb.h"
#include "fleet_types.hpp"

namespace aether::autoscaler {

struct PolicyConfig {
  int min_workers = 0;
  int max_workers = 10;
  double headroom = 0.1;  // fraction of demand kept free on top
  int max_step_up = 4;    // workers added by one decision at most
  std::chrono::milliseconds stabilisation{std::chrono::minutes(5)};
  bool scale_down = true;
  // What one worker brings when no worker reports its capacity yet.
  Resources worker_capacity{2, 2048, 8};
};

struct PolicyInput {
  TimePoint now;
  int current = 0;  // workers the actuator runs now (removals in flight included)
  std::vector<WorkerView> workers;
  Demand demand;
  std::set<std::string> removing;  // ids being drained for removal: not capacity
  // Ids of workers the actuator does not manage (Actuator::managed() false, e.g.
  // `make run`'s own worker beside the local actuator's): fixed capacity. They count
  // towards demand's workers, are never chosen for removal, and min/max bound only
  // the actuator's own count.
  std::set<std::string> unmanaged;
};

struct Decision {
  v1::ScaleAction action = v1::SCALE_ACTION_HOLD;
  int from = 0;
  int to = 0;
  int target = 0;  // what demand asks for now (before step limit and window)
  std::string reason;
  std::vector<WorkerView> remove;  // scale-down: idle workers to drain, then remove
  double used_ratio = 0;           // busiest resource over usable capacity (0..)
  std::uint64_t backlog = 0;
};

class ScalingPolicy {
 public:
  explicit ScalingPolicy(PolicyConfig config);

  [[nodiscard]] Decision decide(const PolicyInput& input);
  [[nodiscard]] const PolicyConfig& config() const { return config_; }

 private:
  struct Need {
    int workers = 0;
    std::string why;
  };
  [[nodiscard]] Need need(const PolicyInput& input, double* used_ratio) const;
  [[nodiscard]] int window_max(TimePoint now, int target);

  PolicyConfig config_;
  std::optional<TimePoint> first_decision_;
  std::deque<std::pair<TimePoint, int>> history_;  // targets within the window
};

// "scale_up", "scale_down", "hold": the last token of aether.evt.scale.<action>.
[[nodiscard]] std::string action_token(v1::ScaleAction action);

}  // namespace aether::autoscaler
