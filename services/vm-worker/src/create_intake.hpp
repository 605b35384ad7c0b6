// CreateIntake: what happens to one fetched CreateVm. Decode (malformed ->
// term), duplicates (this worker holds it; the event stream shows it
// handled, in flight on a live peer, or left by a dead one), impossible specs
// (FAILED naming the field), a warm-pool hit, the reservation (a create this
// worker cannot fit that came from another class's consumer is forwarded to
// its own class subject; otherwise nak'ed back), then the Booter.
//
// Threads: handle() from the pull threads, several at once.
#pragma once

#include <cstddef>

#include "aether/bus/connection.hpp"
#include "aether/bus/jetstream.hpp"
#include "aether/bus/kv.hpp"
#include "aether/bus/pull.hpp"
#include "booter.hpp"
#include "heartbeat.hpp"
#include "lifecycle.hpp"
#include "ops_router.hpp"
#include "room_planner.hpp"
#include "vm_registry.hpp"
#include "warm_pool.hpp"
#include "worker_config.hpp"
#include "worker_flags.hpp"
#include "worker_metrics.hpp"

namespace aether::worker {

class CreateIntake {
 public:
  struct Parts {
    bus::Connection& connection;
    VmRegistry& registry;
    Lifecycle& lifecycle;
    WarmPool& pool;
    Booter& booter;
    OpsRouter& ops;
    const RoomPlanner& planner;
    Heartbeat& heartbeat;
    WorkerMetrics& metrics;
    const WorkerFlags& flags;
  };
  CreateIntake(const WorkerConfig& config, Parts parts) : config_(config), p_(parts) {}

  // KV aether_workers, to tell a live peer from a dead one (Worker::start()).
  void set_workers(bus::KvBucket* workers) { workers_ = workers; }

  // `index`: the consumer it came from (0..classes-1 for vm-create-<class>,
  // `classes` for the plain vm-create).
  void handle(bus::JsMessage& message, std::size_t index);

 private:
  // Republishes a create this worker cannot fit to its class subject, then acks.
  void forward(bus::JsMessage& message, const v1::CreateVm& create, std::size_t cls);
  [[nodiscard]] bool worker_alive(const std::string& worker_id);

  const WorkerConfig& config_;
  Parts p_;
  bus::KvBucket* workers_ = nullptr;
};

}  // namespace aether::worker
