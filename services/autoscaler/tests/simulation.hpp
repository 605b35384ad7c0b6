// A deterministic fleet simulation for the policy: fake clock ticking one
// second, creates arriving per a load shape, workers that join after a
// provisioning delay and take queued creates while they have room, VMs that
// run a fixed time, and the policy deciding every tick (as the controller
// does on its timer). Scale-downs remove the named idle workers at once (the
// drain of an idle worker is immediate).
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "policy.hpp"

namespace aether::autoscaler::testing {

struct SimConfig {
  PolicyConfig policy;
  int start_workers = 1;
  int provision_delay_s = 5;  // a new worker reports this long after the scale-up
  int vm_seconds = 20;        // how long a VM runs
  Resources worker_capacity{4, 4096, 8};
  Resources vm_size{1, 512, 1};
};

struct SimStep {
  int t = 0;
  Decision decision;
  int replicas = 0;  // after the decision
  std::uint64_t queued = 0;
};

class Simulation {
 public:
  // arrivals(t): creates published during second t.
  Simulation(SimConfig config, std::function<int(int)> arrivals)
      : config_(std::move(config)), arrivals_(std::move(arrivals)), policy_(config_.policy) {
    for (int i = 0; i < config_.start_workers; ++i) add_worker(-config_.provision_delay_s);
  }

  // Workers whose id is in `faulty` report a runtime fault from time `from` on.
  void fault(std::string id, int from) { faults_.push_back({std::move(id), from}); }

  std::vector<SimStep> run(int seconds) {
    std::vector<SimStep> out;
    for (int t = 0; t < seconds; ++t) out.push_back(step(t));
    return out;
  }

 private:
  struct SimWorker {
    std::string id;
    int ready_at = 0;
    std::deque<int> vm_ends;  // end time of each running VM
  };

  void add_worker(int now) {
    workers_.push_back({"w" + std::to_string(next_id_++), now + config_.provision_delay_s, {}});
  }
  bool is_faulty(const std::string& id, int t) const {
    for (const auto& [fid, from] : faults_) {
      if (fid == id && t >= from) return true;
    }
    return false;
  }

  SimStep step(int t) {
    queue_ += static_cast<std::uint64_t>(arrivals_(t));
    std::vector<WorkerView> views;
    for (auto& w : workers_) {
      while (!w.vm_ends.empty() && w.vm_ends.front() <= t) w.vm_ends.pop_front();
      if (t < w.ready_at) continue;  // not reporting yet
      const bool faulty = is_faulty(w.id, t);
      const auto room =
          static_cast<std::size_t>(config_.worker_capacity.vcpus / config_.vm_size.vcpus);
      while (!faulty && queue_ > 0 && w.vm_ends.size() < room) {
        w.vm_ends.push_back(t + config_.vm_seconds);
        --queue_;
      }
      WorkerView v;
      v.id = w.id;
      v.node = "node-" + w.id;
      v.capacity = config_.worker_capacity;
      v.vms = static_cast<std::uint32_t>(w.vm_ends.size());
      v.used = config_.vm_size.times(static_cast<double>(v.vms));
      if (faulty) v.runtime_fault = "simulated fault";
      views.push_back(v);
    }
    Demand d;
    d.pending = queue_;
    d.queued = config_.vm_size.times(static_cast<double>(queue_));
    const auto now = TimePoint{} + std::chrono::hours(1) + std::chrono::seconds(t);
    Decision dec = policy_.decide(
        {.now = now, .current = static_cast<int>(workers_.size()), .workers = views, .demand = d});
    if (dec.action == v1::SCALE_ACTION_SCALE_UP) {
      for (int i = static_cast<int>(workers_.size()); i < dec.to; ++i) add_worker(t);
    } else if (dec.action == v1::SCALE_ACTION_SCALE_DOWN) {
      for (const auto& r : dec.remove) {
        std::erase_if(workers_, [&](const SimWorker& w) { return w.id == r.id; });
      }
    }
    return {t, dec, static_cast<int>(workers_.size()), queue_};
  }

  SimConfig config_;
  std::function<int(int)> arrivals_;
  ScalingPolicy policy_;
  std::vector<SimWorker> workers_;
  std::vector<std::pair<std::string, int>> faults_;
  std::uint64_t queue_ = 0;
  int next_id_ = 1;
};

}  // namespace aether::autoscaler::testing
