// What the policy reads: the workers as their heartbeats describe them, and
// the demand waiting on the bus. Plain values, copied between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace aether::autoscaler {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// An amount of each resource a worker hands out (doubles: demand is averaged).
struct Resources {
  double vcpus = 0;
  double memory_mib = 0;
  double vms = 0;

  Resources& operator+=(const Resources& o) {
    vcpus += o.vcpus;
    memory_mib += o.memory_mib;
    vms += o.vms;
    return *this;
  }
  [[nodiscard]] Resources times(double k) const { return {vcpus * k, memory_mib * k, vms * k}; }
};

// One worker, from its WorkerStatus heartbeat in KV aether_workers.
struct WorkerView {
  std::string id;
  std::string node;
  Resources capacity;
  Resources used;
  std::uint32_t vms = 0;  // VMs it hosts (warm pool excluded)
  bool draining = false;
  std::string runtime_fault;  // non-empty: it cannot boot VMs now

  [[nodiscard]] bool faulty() const { return !runtime_fault.empty(); }
  [[nodiscard]] bool usable() const { return !draining && !faulty(); }
  [[nodiscard]] bool idle() const { return vms == 0; }
};

// Creates waiting for a worker, summed over the create consumer(s).
struct Demand {
  std::uint64_t pending = 0;      // in the stream, not delivered yet
  std::uint64_t ack_pending = 0;  // fetched by a worker, not acked yet (booting)
  Resources queued;               // what the pending creates ask for
  [[nodiscard]] std::uint64_t backlog() const { return pending + ack_pending; }
};

}  // namespace aether::autoscaler
