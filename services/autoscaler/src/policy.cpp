#include "policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace aether::autoscaler {

namespace {

// Workers needed for `demand` of one resource at `per_worker` each; a tiny
// epsilon keeps 2.0000000001 from becoming 3.
int workers_for(double demand, double per_worker) {
  if (per_worker <= 0 || demand <= 0) return 0;
  return static_cast<int>(std::ceil(demand / per_worker - 1e-9));
}

// Idle faulty workers go first, then drained ones, then idle healthy ones.
int removal_rank(const WorkerView& w) {
  if (w.faulty()) return 0;
  if (w.draining) return 1;
  return 2;
}

}  // namespace

std::string action_token(v1::ScaleAction action) {
  switch (action) {
    case v1::SCALE_ACTION_SCALE_UP:
      return "scale_up";
    case v1::SCALE_ACTION_SCALE_DOWN:
      return "scale_down";
    default:
      return "hold";
  }
}

ScalingPolicy::ScalingPolicy(PolicyConfig config) : config_(std::move(config)) {}

ScalingPolicy::Need ScalingPolicy::need(const PolicyInput& in, double* used_ratio) const {
  Resources running;
  Resources usable_capacity;
  Resources reported_capacity;
  int reporting = 0;
  for (const auto& w : in.workers) {
    if (w.capacity.vms > 0) {
      reported_capacity += w.capacity;
      ++reporting;
    }
    if (!w.usable() || in.removing.contains(w.id)) continue;
    running += w.used;
    usable_capacity += w.capacity;
  }
  // One worker's capacity: the mean of what workers report (a new node is
  // like the ones there), else the configured size.
  const Resources per_worker =
      reporting > 0 ? reported_capacity.times(1.0 / reporting) : config_.worker_capacity;
  Resources total = running;
  total += in.demand.queued;
  const Resources wanted = total.times(1.0 + config_.headroom);
  const int by_cpu = workers_for(wanted.vcpus, per_worker.vcpus);
  const int by_mem = workers_for(wanted.memory_mib, per_worker.memory_mib);
  const int by_vms = workers_for(wanted.vms, per_worker.vms);
  auto ratio = [](double used, double cap) { return cap > 0 ? used / cap : 0.0; };
  *used_ratio = std::max({ratio(running.vcpus, usable_capacity.vcpus),
                          ratio(running.memory_mib, usable_capacity.memory_mib),
                          ratio(running.vms, usable_capacity.vms)});
  Need n;
  n.workers = std::max({by_cpu, by_mem, by_vms});
  n.why = fmt::format(
      "demand {:g} vCPU / {:g} MiB / {:g} VMs ({} queued creates) + {:g}% headroom over "
      "{:g} vCPU / {:g} MiB / {:g} VMs per worker needs {} usable workers",
      total.vcpus, total.memory_mib, total.vms, in.demand.pending, config_.headroom * 100,
      per_worker.vcpus, per_worker.memory_mib, per_worker.vms, n.workers);
  return n;
}

int ScalingPolicy::window_max(TimePoint now, int target) {
  history_.emplace_back(now, target);
  while (!history_.empty() && now - history_.front().first > config_.stabilisation) {
    history_.pop_front();
  }
  int highest = target;
  for (const auto& [at, t] : history_) highest = std::max(highest, t);
  return highest;
}

Decision ScalingPolicy::decide(const PolicyInput& in) {
  if (!first_decision_) first_decision_ = in.now;
  Decision d;
  d.from = in.current;
  d.to = in.current;
  d.backlog = in.demand.backlog();
  const Need n = need(in, &d.used_ratio);

  // Workers that count as replicas but not as capacity: faulty ones stay
  // (they may recover) and need a usable worker beside them. Workers the
  // actuator does not manage (and nobody drains) are fixed: they stand for
  // that many of the workers demand asks for, so the actuator adds only the rest.
  int unusable = 0;
  int fixed = 0;
  for (const auto& w : in.workers) {
    if (w.faulty() && !w.draining && !in.removing.contains(w.id)) ++unusable;
    if (in.unmanaged.contains(w.id) && !w.draining) ++fixed;
  }
  const int removing = static_cast<int>(in.removing.size());
  const int target =
      std::clamp(n.workers + unusable - fixed, config_.min_workers, config_.max_workers);
  d.target = target;
  const int effective = in.current - removing;  // what stays once removals finish
  std::string faulty_note =
      unusable > 0 ? fmt::format("; {} worker(s) with a runtime fault not counted", unusable) : "";
  if (fixed > 0) {
    faulty_note += fmt::format("; {} worker(s) not managed by the actuator count as fixed", fixed);
  }
  const int stable = window_max(in.now, target);

  if (target > effective) {
    const int add = std::min(target - effective, config_.max_step_up);
    d.action = v1::SCALE_ACTION_SCALE_UP;
    d.to = std::min(in.current + add, config_.max_workers + removing);
    d.reason = fmt::format(
        "{}{}; scaling {} -> {}{}", n.why, faulty_note, in.current, d.to,
        add < target - effective ? fmt::format(" (step limit {})", config_.max_step_up) : "");
    return d;
  }
  if (target == effective) {
    d.reason = fmt::format("{}{}; at target {}", n.why, faulty_note, target);
    return d;
  }
  // target < effective: fewer workers would do.
  if (!config_.scale_down) {
    d.reason = fmt::format("{}{}; {} would do, scale-down is off", n.why, faulty_note, target);
    return d;
  }
  const bool full_window = in.now - *first_decision_ >= config_.stabilisation;
  if (!full_window || stable >= effective) {
    d.reason = fmt::format(
        "{}{}; {} would do, held at {} by the {:g} s stabilisation window (highest target in it: "
        "{})",
        n.why, faulty_note, target, effective,
        std::chrono::duration<double>(config_.stabilisation).count(),
        full_window ? stable : std::max(stable, effective));
    return d;
  }
  std::vector<WorkerView> idle;
  for (const auto& w : in.workers) {
    if (w.idle() && !in.removing.contains(w.id) && !in.unmanaged.contains(w.id)) {
      idle.push_back(w);
    }
  }
  std::sort(idle.begin(), idle.end(), [](const WorkerView& a, const WorkerView& b) {
    return std::pair(removal_rank(a), a.id) < std::pair(removal_rank(b), b.id);
  });
  const int excess = effective - std::max(stable, config_.min_workers);
  const int k = std::min<int>(excess, static_cast<int>(idle.size()));
  if (k <= 0) {
    d.reason = fmt::format("{}{}; {} would do, but no worker is idle", n.why, faulty_note, stable);
    return d;
  }
  d.action = v1::SCALE_ACTION_SCALE_DOWN;
  d.to = in.current - k;
  d.remove.assign(idle.begin(), idle.begin() + k);
  std::string ids;
  for (const auto& w : d.remove) ids += (ids.empty() ? "" : ", ") + w.id;
  d.reason = fmt::format("{}{}; {} would do for the whole {:g} s window: draining idle {}", n.why,
                         faulty_note, stable,
                         std::chrono::duration<double>(config_.stabilisation).count(), ids);
  return d;
}

}  // namespace aether::autoscaler
