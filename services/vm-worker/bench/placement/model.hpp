// The placement simulation's workload and yardsticks (pure, no bus):
//  - a workload: VMs with arrival time, lifetime and size (generated from a
//    seed once and kept as CSV, so every run replays the same one);
//  - the ideal: an offline packer that knows the whole workload and, at every
//    arrival and departure, places the waiting VMs largest first, each into
//    the first worker it fits (first-fit-decreasing), with no latency;
//  - utilisation (resource-seconds held / capacity-seconds) over a window;
//  - for each VM, the time it waited in the queue while some worker had room
//    for it (from a timeline of reservations).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace aether::placement {

struct VmRequest {
  std::string id;
  double arrive_s = 0;  // since the start
  double life_s = 0;    // held this long once placed
  std::uint32_t vcpus = 1;
  std::uint64_t memory_mib = 256;
};

struct Node {
  std::uint32_t vcpus = 0;
  std::uint64_t memory_mib = 0;
  std::uint32_t vms = 0;
};

struct WorkloadShape {
  std::uint64_t seed = 42;
  double duration_s = 60;
  double rate_per_s = 7.5;
  double mean_life_s = 6;
};

// Poisson arrivals, exponential lifetimes (clipped to 1..4x the mean), sizes
// 1/256 (45%), 1/512 (20%), 2/1024 (15%), 2/2048 (12%), 4/4096 (8%).
[[nodiscard]] std::vector<VmRequest> generate(const WorkloadShape& shape);
[[nodiscard]] bool save_csv(const std::string& path, const std::vector<VmRequest>& w);
[[nodiscard]] std::optional<std::vector<VmRequest>> load_csv(const std::string& path);

// One VM's life in a run: when it was placed (on which node) and released.
struct Outcome {
  std::optional<double> placed_s;
  std::optional<double> released_s;
  int node = -1;
};

// The offline first-fit-decreasing packer over `nodes` equal nodes.
[[nodiscard]] std::vector<Outcome> ideal_ffd(const std::vector<VmRequest>& w, int nodes,
                                             const Node& node);

enum class Resource { kVcpus, kMemory };
// Held resource-seconds inside [0, horizon_s] / (nodes x capacity x horizon_s).
[[nodiscard]] double utilisation(const std::vector<VmRequest>& w, const std::vector<Outcome>& o,
                                 int nodes, const Node& node, double horizon_s, Resource r);

// Per VM that was placed: seconds between arrival and placement during which
// some node had room for it (replaying the reservations of `o`).
[[nodiscard]] std::vector<double> wait_with_room(const std::vector<VmRequest>& w,
                                                 const std::vector<Outcome>& o, int nodes,
                                                 const Node& node);

// The same replay, with every second of such waiting put into a category by
// `classify(t, vm, free, nodes_with_room)` (free: every node's free room at t
// in the replay; nodes_with_room: those where the VM fits). Returns, per
// category, the seconds of every VM (index = VM).
using WaitClassifier = std::function<int(double t, std::size_t vm, const std::vector<Node>& free,
                                         const std::vector<int>& nodes_with_room)>;
[[nodiscard]] std::vector<std::vector<double>> wait_with_room_by(const std::vector<VmRequest>& w,
                                                                 const std::vector<Outcome>& o,
                                                                 int nodes, const Node& node,
                                                                 int categories,
                                                                 const WaitClassifier& classify);

[[nodiscard]] double percentile(std::vector<double> v, double p);

}  // namespace aether::placement
