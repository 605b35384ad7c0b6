// PeerBoard: the free room other workers report (their WorkerStatus in KV
// aether_workers), kept current by a KV watch, for RoomPlanner's fairness rule.
//
// Lifecycle: construct, start() opens the watch (its own thread), stop() or
// the destructor ends it. A peer whose heartbeat is older than `stale_after`
// or whose key was deleted/expired is not listed.
// Threads: peers() and update() are safe from any thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aether/bus/kv.hpp"
#include "aether/v1/worker.pb.h"
#include "errors.hpp"
#include "room_planner.hpp"

namespace aether::worker {

class PeerBoard {
 public:
  PeerBoard(std::string self_id, bus::VmClassTable classes, std::chrono::milliseconds stale_after);
  ~PeerBoard();
  PeerBoard(const PeerBoard&) = delete;
  PeerBoard& operator=(const PeerBoard&) = delete;

  [[nodiscard]] Result<void> start(bus::KvBucket& bucket);
  void stop();

  // Applies one KV entry (a put of a WorkerStatus, or a delete).
  void update(const bus::KvEntry& entry);
  // Fresh peers that accept creates, their fits in this worker's class order
  // (a class a peer does not report counts as 0).
  [[nodiscard]] std::vector<PeerRoom> peers() const;

 private:
  struct Seen {
    PeerRoom room;
    std::chrono::steady_clock::time_point at;
  };
  const std::string self_;
  const bus::VmClassTable classes_;
  const std::chrono::milliseconds stale_after_;
  mutable std::mutex mutex_;
  std::map<std::string, Seen> seen_;  // guarded by mutex_
  std::unique_ptr<bus::KvWatch> watch_;
};

}  // namespace aether::worker
