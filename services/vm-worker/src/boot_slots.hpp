// BootSlots: how many boots run at once (AETHER_MAX_CONCURRENT_BOOTS), their
// threads, and the "room may have freed" signal the pull threads wait on.
//
// Every change (a boot ended, resources released) bumps an epoch, wakes the
// waiters and calls `on_change` (the heartbeat puts WorkerStatus soon).
// Threads: every method from any thread; join_all() from the owner only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace aether::worker {

class BootSlots {
 public:
  BootSlots(std::size_t max, std::function<void()> on_change)
      : max_(static_cast<int>(max)), on_change_(std::move(on_change)) {}

  [[nodiscard]] bool slot_free() const;
  // Takes a slot if one is free and `reserve()` (called under the lock) agrees.
  [[nodiscard]] bool try_take(const std::function<bool()>& reserve);
  // Takes a slot (the pull decision already saw it free) and runs `body` on a
  // thread of its own; `body` ends with finished().
  void spawn(std::function<void()> body);
  void finished();      // gives a slot back; a change
  void room_changed();  // resources released; a change

  [[nodiscard]] std::uint64_t epoch() const;
  // Until the epoch differs from `seen` or `timeout` passes.
  void wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout);
  // Until no boot runs or `deadline` passes.
  void wait_idle(std::chrono::steady_clock::time_point deadline);
  void join_all();  // boots run to their end (bounded by the boot timeout)

 private:
  struct BootThread {
    std::shared_ptr<std::atomic<bool>> done;
    std::jthread thread;
  };
  void changed();

  const int max_;
  const std::function<void()> on_change_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  int in_flight_ = 0;                // guarded by mutex_
  std::uint64_t epoch_ = 0;          // guarded by mutex_
  std::vector<BootThread> threads_;  // guarded by mutex_
};

}  // namespace aether::worker
