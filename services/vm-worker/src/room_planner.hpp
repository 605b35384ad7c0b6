// RoomPlanner: which create classes a worker may pull now (pure logic, no bus).
//
// A worker pulls the consumer of class c only while one VM of the class's
// largest size — the class size capped by the per-VM limits, `unit(c)` —
// fits in its free room, so a fetched create never waits for room. Two rules
// on top:
//  - starvation guard: while this worker holds room for a larger class L
//    (StarvationGuard: L's backlog waited longer than AETHER_STARVATION_AFTER
//    while it does not fit, and this worker is the one closest to fitting it,
//    see closest_to_fit), a smaller class is pulled only if unit(L) would
//    still fit after it, so room accumulates for L instead of being taken by
//    a stream of small VMs;
//  - fairness: while a live peer that accepts creates would pull more VMs of
//    class c than this worker (WorkerStatus.classes[c].fits, see pullable), this worker
//    defers to it (the caller lifts the deferral when the class's backlog
//    waits longer than AETHER_FAIR_DEFER_MAX, so a peer that is slow to pull
//    never leaves a create waiting).
// Threads: immutable after construction; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aether/bus/jetstream.hpp"
#include "capacity.hpp"

namespace aether::worker {

// What a peer worker reported in its WorkerStatus.
struct PeerRoom {
  std::string worker_id;
  bool accepting = false;
  std::vector<std::uint32_t> fits;  // per class, same order as the table
  Resources free;                   // WorkerStatus.free
  std::vector<bool> resting;        // per class: its hold expired, it does not hold now
};

enum class PullDecision {
  kPull,      // pull one create of this class now
  kBusy,      // not pulling at all: draining, runtime fault, boots at their maximum
  kNoRoom,    // unit(c) does not fit the free room
  kHeldBack,  // a larger class is starving: room is kept for it
  kDefer,     // a peer has more room for this class
};

class RoomPlanner {
 public:
  RoomPlanner(bus::VmClassTable classes, std::uint32_t max_vcpus, std::uint64_t max_memory_mib);

  [[nodiscard]] std::size_t size() const { return classes_.size(); }
  [[nodiscard]] const bus::VmClassTable& classes() const { return classes_; }
  // The class's largest VM on this worker: class size capped by the limits.
  [[nodiscard]] const Resources& unit(std::size_t c) const { return units_[c]; }
  // How many unit(c) VMs fit in `free`.
  [[nodiscard]] std::uint32_t fits(std::size_t c, const Resources& free) const;
  [[nodiscard]] std::vector<std::uint32_t> fits_all(const Resources& free) const;
  // The class index a create of this size is pulled from.
  [[nodiscard]] std::size_t class_of(std::uint32_t vcpus, std::uint64_t memory_mib) const {
    return bus::vm_class_index(classes_, vcpus, memory_mib);
  }
  // The smallest class whose unit fits `free` (nullopt: none).
  [[nodiscard]] std::optional<std::size_t> smallest_fitting(const Resources& free) const;

  // How far `free` is from holding unit(c): the missing share of each
  // resource, summed (0: it fits).
  [[nodiscard]] double shortfall(std::size_t c, const Resources& free) const;
  // Whether this worker is the one that should keep room for a starving
  // class c: the closest to fitting it (ties: the lower worker id) among the
  // accepting peers that are not resting for c. One worker per class holds,
  // so the room kept idle is at most one VM of each starving class.
  [[nodiscard]] bool closest_to_fit(std::size_t c, const Resources& free,
                                    const std::string& self_id,
                                    const std::vector<PeerRoom>& peers) const;
  // How many VMs of class c this worker would pull now, one after the
  // other: unit(c) fits and, after them, one VM of every class it holds for
  // (`holding[l]`, l > c) still fits. WorkerStatus.classes[c].fits.
  [[nodiscard]] std::uint32_t pullable(std::size_t c, const Resources& free,
                                       const std::vector<bool>& holding) const;

  // `starving[l]`: this worker holds room for class l (see above). `peers`: the others.
  [[nodiscard]] PullDecision decide(std::size_t c, const Resources& free,
                                    const std::vector<bool>& starving,
                                    const std::vector<PeerRoom>& peers) const;

 private:
  bus::VmClassTable classes_;
  std::vector<Resources> units_;
};

// free - r per resource (0 when r is larger).
[[nodiscard]] Resources minus(const Resources& free, const Resources& r);

}  // namespace aether::worker
