// Small builders for the policy tests and the simulation.
#pragma once

#include <string>

#include "fleet_types.hpp"
#include "policy.hpp"

namespace aether::autoscaler::testing {

// A worker of 4 vCPU / 4096 MiB / 8 VMs running `vms` VMs of 1 vCPU / 512 MiB.
inline WorkerView worker(const std::string& id, int vms, bool draining = false,
                         std::string fault = {}) {
  WorkerView w;
  w.id = id;
  w.node = "node-" + id;
  w.capacity = {4, 4096, 8};
  w.used = {static_cast<double>(vms), 512.0 * vms, static_cast<double>(vms)};
  w.vms = static_cast<std::uint32_t>(vms);
  w.draining = draining;
  w.runtime_fault = std::move(fault);
  return w;
}

// `pending` queued creates of 1 vCPU / 512 MiB.
inline Demand queued(std::uint64_t pending) {
  Demand d;
  d.pending = pending;
  d.queued = {static_cast<double>(pending), 512.0 * static_cast<double>(pending),
              static_cast<double>(pending)};
  return d;
}

inline PolicyConfig test_policy() {
  PolicyConfig c;
  c.min_workers = 1;
  c.max_workers = 10;
  c.headroom = 0;
  c.max_step_up = 3;
  c.stabilisation = std::chrono::seconds(60);
  c.worker_capacity = {4, 4096, 8};
  return c;
}

}  // namespace aether::autoscaler::testing
