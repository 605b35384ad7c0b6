// CreateConsumer: the pull threads, one per create consumer (index
// 0..classes-1 for vm-create-<class>, index `classes` for the plain
// vm-create, pulled like the smallest class), and the pull decision: a class
// is fetched (one create at a time) whenever one VM of it fits the free room
// (RoomPlanner), a boot slot is free and the runtime may boot; it defers to
// a roomier peer (PeerBoard) for at most AETHER_FAIR_DEFER_MAX of backlog,
// and keeps room for a starving larger class when it is the closest worker
// (StarvationGuard). With no room it waits for BootSlots' room-changed
// signal (bounded, 250 ms). What it fetches goes to CreateIntake.
//
// Lifecycle: start(kv) opens the peer watch and runs the threads; stop()
// joins them (a create being accepted finishes first).
// Threads: free_room() and held() from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "aether/bus/connection.hpp"
#include "aether/bus/kv.hpp"
#include "boot_slots.hpp"
#include "capacity.hpp"
#include "create_intake.hpp"
#include "errors.hpp"
#include "heartbeat.hpp"
#include "peer_board.hpp"
#include "room_planner.hpp"
#include "runtime_health.hpp"
#include "starvation_guard.hpp"
#include "vm_registry.hpp"
#include "worker_config.hpp"
#include "worker_flags.hpp"

namespace aether::worker {

class CreateConsumer {
 public:
  struct Parts {
    bus::Connection& connection;
    const RoomPlanner& planner;
    const CapacityLedger& ledger;
    const VmRegistry& registry;
    BootSlots& slots;
    RuntimeHealth& health;
    Heartbeat& heartbeat;
    CreateIntake& intake;
    const WorkerFlags& flags;
  };
  CreateConsumer(const WorkerConfig& config, Parts parts);

  [[nodiscard]] Result<void> start(bus::KvBucket& workers);
  void stop() { threads_.clear(); }

  // Free room now: ledger free + warm-pool VMs (a create evicts them).
  [[nodiscard]] Resources free_room() const;
  struct Held {
    std::vector<bool> starving;  // room kept for the class (this worker holds)
    std::vector<bool> resting;   // after a hold of hold_max
  };
  [[nodiscard]] Held held() const;

 private:
  struct PullState;
  void loop(std::stop_token stop, std::size_t index);
  // How many creates consumer `index` may fetch now (0 or 1). With no room
  // it waits up to 250 ms for the room-changed signal.
  int room(std::size_t index, PullState& state);
  [[nodiscard]] PullDecision decide(std::size_t index, const Resources& free, bool ignore_peers);
  // Reads the consumer's backlog while it is not pulled (starvation, fairness).
  void watch_backlog(std::size_t index, PullState& state, PullDecision decision);

  const WorkerConfig& config_;
  Parts p_;
  std::unique_ptr<PeerBoard> peers_;
  mutable std::mutex mutex_;
  StarvationGuard guard_;  // room held for starving classes; guarded by mutex_
  std::vector<std::jthread> threads_;
};

}  // namespace aether::worker
