// StarvationGuard: when this worker keeps room for a create class that has
// waited too long, and for how long (pure logic, the time is passed in).
//
// A stream of small creates could keep every worker's free room just below a
// large VM's size forever. So once a class's backlog has stayed non-empty for
// `after` while the class does not fit here, and this worker is the one
// closest to fitting it (RoomPlanner::closest_to_fit, decided by the caller),
// the worker *holds*: smaller classes are pulled only if one VM of the held
// class still fits after them, so room accumulates until it fits. The hold
// is bounded: it ends when the class fits here (its own thread pulls it), its
// backlog is seen empty, another worker becomes closer, or after `hold_max`;
// in the last case this worker *rests* for `hold_max` (does not hold for that
// class, and says so in WorkerStatus so its peers pass the hold to the next
// closest worker) — a worker whose VMs live long does not keep room idle.
// Threads: not thread-safe; CreateConsumer guards it with its mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace aether::worker {

class StarvationGuard {
 public:
  using Clock = std::chrono::steady_clock;
  StarvationGuard(std::size_t classes, std::chrono::milliseconds after,
                  std::chrono::milliseconds hold_max);

  // A backlog read of class c while it does not fit here: `pending` creates
  // wait in it; `closest`: this worker is the one that should hold for it.
  // Returns whether holding(c) changed.
  bool observe(std::size_t c, Clock::time_point now, std::uint64_t pending, bool closest);
  // Class c's backlog was seen empty: the wait and any hold end.
  bool clear(std::size_t c);
  // Class c was pulled here: the hold did its job; a hold for the next
  // create of the class (if it is still needed) starts its time anew.
  void pulled(std::size_t c, Clock::time_point now);

  [[nodiscard]] bool holding(std::size_t c) const { return classes_[c].holding; }
  [[nodiscard]] std::vector<bool> holding() const;
  // After a hold of hold_max: not holding for c until the rest is over.
  [[nodiscard]] bool resting(std::size_t c, Clock::time_point now) const;
  [[nodiscard]] std::vector<bool> resting(Clock::time_point now) const;

 private:
  struct PerClass {
    std::optional<Clock::time_point> waiting_since;  // backlog non-empty, not fitting
    std::optional<Clock::time_point> holding_since;
    std::optional<Clock::time_point> rest_until;
    bool holding = false;
  };
  bool set_holding(PerClass& p, bool on, Clock::time_point now);
  const std::chrono::milliseconds after_;
  const std::chrono::milliseconds hold_max_;
  std::vector<PerClass> classes_;
};

}  // namespace aether::worker
