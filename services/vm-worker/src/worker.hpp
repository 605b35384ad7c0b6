// Worker: the bus side of real microVMs on one node (aether-vm-worker).
//
// The small owner of the worker's parts, which it wires together and starts
// and stops in order:
//   VmRegistry      the hosted VMs, the warm pool's VMs, the graveyard
//   BootSlots       concurrent boots, their threads, the room-changed signal
//   Heartbeat       WorkerStatus into KV aether_workers
//   Lifecycle       transitions and events, stop/fail/delete, releasing room
//   OpsRouter       aether.vm.<id>.* request handlers
//   WarmPool        booted VMs waiting for a matching create
//   Booter          one boot thread per VM (boot/restore/snapshot/requeue)
//   CreateIntake    one fetched create: dedup, validation, pool hit, reserve
//   CreateConsumer  the pull threads and the pull decision (fairness, guard)
//   Reaper          TTL, idle, dead hypervisors, retention, gauges
//   Recovery        what a previous run left behind
// The Worker itself serves aether.worker.<id>.status|drain (NATS micro
// service `vm-worker`) and answers status(), drain(), ready().
//
// Lifecycle: construct -> start() (recovery, subscriptions, threads) ->
// shutdown() (drain: stop fetching, let boots finish, stop or wait for the
// VMs, final events) -> destructor. kill() is for tests: it stops everything
// without events, as a crash would (hypervisors are killed though).
// Threads: see README. Public methods are safe from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "aether/bus/connection.hpp"
#include "aether/bus/kv.hpp"
#include "aether/bus/micro.hpp"
#include "aether/http/metrics.hpp"
#include "aether/net/host_network.hpp"
#include "aether/v1/worker.pb.h"
#include "aether/vmm/runtime.hpp"
#include "boot_slots.hpp"
#include "booter.hpp"
#include "capacity.hpp"
#include "create_consumer.hpp"
#include "create_intake.hpp"
#include "errors.hpp"
#include "heartbeat.hpp"
#include "lifecycle.hpp"
#include "ops_router.hpp"
#include "pauser.hpp"
#include "reaper.hpp"
#include "recovery.hpp"
#include "room_planner.hpp"
#include "runtime_health.hpp"
#include "vm_registry.hpp"
#include "warm_pool.hpp"
#include "worker_config.hpp"
#include "worker_flags.hpp"
#include "worker_metrics.hpp"

namespace aether::worker {

class Worker {
 public:
  Worker(WorkerConfig config, bus::Connection connection, std::shared_ptr<vmm::Runtime> runtime,
         http::Registry& registry);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Recovery, provisioning (if configured), subscriptions and threads.
  [[nodiscard]] Result<void> start();
  // Graceful stop (SIGTERM): drain per config, final events, KV key removed.
  void shutdown();
  // Crash-like stop for tests: no events, no KV cleanup, hypervisors killed.
  void kill();

  // Stop taking creates; optionally stop hosted VMs now (in the background).
  v1::DrainReply drain(const v1::DrainWorker& request);
  [[nodiscard]] v1::WorkerStatus status() const;
  [[nodiscard]] bool draining() const { return flags_.draining.load(); }
  [[nodiscard]] bool ready() const;  // for /readyz
  [[nodiscard]] const WorkerConfig& config() const { return config_; }
  [[nodiscard]] std::size_t warm_pool_size() const { return registry_.pool_size(); }
  [[nodiscard]] std::size_t vm_count() const { return registry_.size(); }
  // Why the runtime cannot boot VMs now (for /readyz); nullopt when it can.
  [[nodiscard]] std::optional<std::string> runtime_fault() const { return health_.fault(); }
  using RecoveryReport = worker::RecoveryReport;
  [[nodiscard]] RecoveryReport recovery_report() const { return recovery_; }

 private:
  [[nodiscard]] Result<void> start_worker_service();
  [[nodiscard]] bool accepting() const;
  [[nodiscard]] std::size_t vms_holding_resources() const;
  // Until no hosted VM holds resources (all stopped, failed or deleted), the
  // deadline passes or `stop` is requested.
  void wait_for_vms_to_end(Clock::time_point deadline, std::stop_token stop) const;
  void stop_threads();

  const WorkerConfig config_;
  bus::Connection connection_;
  std::shared_ptr<vmm::Runtime> runtime_;
  std::unique_ptr<net::HostNetwork> network_;  // set in start() when network_enabled
  WorkerMetrics metrics_;
  CapacityLedger ledger_;
  RoomPlanner planner_;
  RuntimeHealth health_;
  WorkerFlags flags_;
  VmRegistry registry_;
  Heartbeat heartbeat_;
  BootSlots slots_;
  Lifecycle lifecycle_;
  WarmPool pool_;
  Pauser pauser_;
  OpsRouter ops_;
  Booter booter_;
  CreateIntake intake_;
  CreateConsumer consumer_;
  Reaper reaper_;
  std::optional<bus::KvBucket> workers_kv_;
  std::unique_ptr<bus::Service> service_;
  RecoveryReport recovery_;
  std::jthread drain_thread_;
};

}  // namespace aether::worker
