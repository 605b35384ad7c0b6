// Worker: the bus side of real microVMs on one node (aether-vm-worker).
//
// It pulls CreateVm from the shared durable consumer `vm-create` only while it
// has room, boots each VM through a vmm::Runtime, serves aether.vm.<id>.* for
// the VMs it holds, publishes every lifecycle transition as a VmEvent,
// heartbeats WorkerStatus into KV aether_workers, serves
// aether.worker.<id>.status|drain and NATS micro discovery, enforces TTL and
// idle timeouts, keeps a warm pool, and on start-up fails what a previous run
// of itself left behind.
//
// Lifecycle: construct -> start() (recovery, subscriptions, threads) ->
// shutdown() (drain: stop fetching, let boots finish, stop or wait for the
// VMs, final events) -> destructor. kill() is for tests: it stops everything
// without events, as a crash would (hypervisors are killed though).
// Threads (see README): the consumer thread (fetch + accept creates), one
// thread per boot (and its in-progress keeper), the reaper (TTL, idle,
// retention, dead VMs, metrics), the heartbeat, the warm-pool refiller, the
// event publisher, cnats delivery threads for request handlers. Public
// methods are safe from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "aether/bus/connection.hpp"
#include "aether/bus/kv.hpp"
#include "aether/bus/micro.hpp"
#include "aether/bus/pull.hpp"
#include "aether/http/metrics.hpp"
#include "aether/net/host_network.hpp"
#include "aether/v1/exec.pb.h"
#include "aether/v1/files.pb.h"
#include "aether/v1/worker.pb.h"
#include "aether/vmm/runtime.hpp"
#include "capacity.hpp"
#include "errors.hpp"
#include "events.hpp"
#include "hosted_vm.hpp"
#include "peer_board.hpp"
#include "room_planner.hpp"
#include "runtime_health.hpp"
#include "starvation_guard.hpp"
#include "worker_config.hpp"
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
  [[nodiscard]] bool draining() const { return draining_.load(); }
  [[nodiscard]] bool ready() const;  // for /readyz
  [[nodiscard]] const WorkerConfig& config() const { return config_; }
  [[nodiscard]] std::size_t warm_pool_size() const;
  [[nodiscard]] std::size_t vm_count() const;
  // Why the runtime cannot boot VMs now (for /readyz); nullopt when it can.
  [[nodiscard]] std::optional<std::string> runtime_fault() const { return health_.fault(); }
  // Recovery findings of start(): VMs failed, hypervisors killed.
  struct RecoveryReport {
    int vms_failed = 0;
    int processes_killed = 0;
  };
  [[nodiscard]] RecoveryReport recovery_report() const { return recovery_; }

 private:
  // --- pulling creates (worker_pull.cpp): one thread per create consumer,
  // index 0..classes-1 for vm-create-<class>, index `classes` for the plain
  // vm-create (pulled like the smallest class; what does not fit here is
  // forwarded to its class).
  struct PullState;
  void consume_loop(std::stop_token stop, std::size_t index);
  // How many creates consumer `index` may fetch now (0 or 1); a 1 holds a
  // provisional reservation of the class's unit until the next call. With no
  // room it waits up to 250 ms for room_changed()/boot_finished().
  int room(std::size_t index, PullState& state);
  // Under boots_mutex_: the pull decision for consumer `index` now, `base`
  // being base_free() (provisional reservations are taken off here).
  [[nodiscard]] PullDecision decide_locked(std::size_t index, const Resources& base,
                                           bool ignore_peers);
  // Free room now: ledger free + warm-pool VMs (a create evicts them).
  [[nodiscard]] Resources base_free() const;
  [[nodiscard]] bool accepting() const;
  // Reads the consumer's backlog while it is not pulled (starvation, fairness).
  void watch_backlog(std::size_t index, PullState& state, PullDecision decision);
  void room_changed();    // resources released: wakes a waiting room()
  void boot_finished();   // --boots_in_flight_, and wakes room() and shutdown()
  void status_changed();  // room changed: the heartbeat puts WorkerStatus soon
  // Republishes a create this worker cannot fit to its class subject, then acks.
  void forward(bus::JsMessage& message, const v1::CreateVm& create, std::size_t cls);

  // --- create path (worker_create.cpp)
  // `index`: the consumer it came from (see consume_loop).
  void handle_create(bus::JsMessage& message, std::size_t index);
  void boot_vm(std::shared_ptr<bus::JsMessage> message, std::shared_ptr<HostedVm> hosted,
               std::optional<trace::SpanContext> parent, Clock::time_point fetched);
  // After a boot failed for a node reason: hand the create back to the queue
  // (the VM goes back to PENDING) so a healthy worker takes it.
  void requeue(bus::JsMessage& message, const std::shared_ptr<HostedVm>& hosted,
               const std::string& why);
  [[nodiscard]] bool reserve_with_eviction(const Resources& need);
  [[nodiscard]] std::shared_ptr<HostedVm> take_pool_vm(const v1::VmSpec& spec);
  [[nodiscard]] bool worker_alive(const std::string& worker_id);
  // Snapshots (worker_snapshot.cpp): boot or restore a VM of spec, and make
  // the snapshot of its template and size after a cold boot when none exists.
  // `restored`: set when the VM came from a snapshot.
  [[nodiscard]] vmm::Result<std::unique_ptr<vmm::Vm>> boot_or_restore(const vmm::VmConfig& config,
                                                                      const v1::VmSpec& spec,
                                                                      bool& restored);
  void make_snapshot_if_missing(const v1::VmSpec& spec);
  [[nodiscard]] std::filesystem::path snapshot_dir(const v1::VmSpec& spec) const;
  std::mutex snapshot_mutex_;  // one snapshot being made at a time
  [[nodiscard]] vmm::VmConfig vm_config(const std::string& id, const std::filesystem::path& dir,
                                        const v1::VmSpec& spec) const;

  // --- lifecycle (worker_lifecycle.cpp)
  // Moves `vm` to `to` (if allowed) and publishes the VmEvent. False if refused.
  bool transition(HostedVm& vm, v1::VmState to, const std::string& reason);
  bool transition_locked(HostedVm& vm, std::unique_lock<std::mutex>& lock, v1::VmState to,
                         const std::string& reason);
  void release_resources(HostedVm& vm);  // caller holds vm.mutex_; also detaches the network
  void release_network(HostedVm& vm);    // caller holds vm.mutex_
  // READY -> STOPPING -> STOPPED (graceful shutdown, kill when it does not).
  // `grace`: how long the guest gets to power off (default: the configured
  // stop grace); the STOPPED reason says whether it did or was killed.
  void stop_vm(const std::shared_ptr<HostedVm>& vm, const std::string& reason,
               std::optional<std::chrono::milliseconds> grace = std::nullopt);
  // Any state -> DELETED (through STOPPING/STOPPED when running); unregisters.
  void delete_vm(const std::shared_ptr<HostedVm>& vm, const std::string& reason);
  void fail_vm(const std::shared_ptr<HostedVm>& vm, const std::string& reason);
  [[nodiscard]] std::shared_ptr<HostedVm> find(const std::string& vm_id) const;
  [[nodiscard]] std::vector<std::shared_ptr<HostedVm>> all_vms() const;
  void reap_loop(std::stop_token stop);
  void heartbeat_loop(std::stop_token stop);
  void publish_worker_event(v1::WorkerState state, const std::string& reason);
  void update_metrics();
  [[nodiscard]] std::size_t vms_holding_resources() const;
  // Until no hosted VM holds resources (all stopped, failed or deleted), the
  // deadline passes or `stop` is requested.
  void wait_for_vms_to_end(Clock::time_point deadline, std::stop_token stop) const;
  void stop_threads();

  // --- pause and resume (worker_pause.cpp)
  [[nodiscard]] bus::Result<v1::VmOpReply> pause_vm(const std::string& vm_id);
  [[nodiscard]] bus::Result<v1::VmOpReply> resume_vm(const std::string& vm_id);
  // PAUSED -> STOPPING -> STOPPED, the saved state removed.
  void stop_paused(const std::shared_ptr<HostedVm>& vm, const std::string& reason);
  // For the reaper: true when vm is PAUSED (stopped here once its TTL passed).
  bool reap_paused(const std::shared_ptr<HostedVm>& vm, Clock::time_point now);
  // Recovery: registers the paused VM in dir as PAUSED again; false (and why)
  // when it is not paused, or cannot be adopted.
  bool adopt_paused(const std::filesystem::path& dir, const v1::CreateVm& create, std::string& why);

  // --- per-VM request handlers (worker_ops.cpp)
  [[nodiscard]] Result<void> subscribe_ops(const std::shared_ptr<HostedVm>& vm);
  [[nodiscard]] Result<void> start_worker_service();

  // --- warm pool (worker_pool.cpp)
  void pool_loop(std::stop_token stop);
  [[nodiscard]] bool pool_matches(const v1::VmSpec& spec) const;
  // Kills a VM taken out of pool_, gives back its room and removes its dir.
  void discard_pool_vm(HostedVm& vm);
  void empty_pool();  // discard_pool_vm for every pool VM

  // --- recovery (recovery.cpp)
  void recover();

  const WorkerConfig config_;
  bus::Connection connection_;
  std::shared_ptr<vmm::Runtime> runtime_;
  std::unique_ptr<net::HostNetwork> network_;  // set in start() when network_enabled
  WorkerMetrics metrics_;
  CapacityLedger ledger_;
  RoomPlanner planner_;
  std::unique_ptr<PeerBoard> peers_;
  RuntimeHealth health_;
  std::unique_ptr<EventPublisher> events_;
  std::optional<bus::KvBucket> workers_kv_;
  std::unique_ptr<bus::Service> service_;
  RecoveryReport recovery_;

  mutable std::mutex vms_mutex_;
  std::map<std::string, std::shared_ptr<HostedVm>> vms_;  // by vm id; guarded by vms_mutex_
  std::vector<std::shared_ptr<HostedVm>> pool_;           // ready pool VMs; guarded by vms_mutex_
  std::vector<bus::Subscription> graveyard_;  // subscriptions of deleted VMs; guarded by vms_mutex_

  mutable std::mutex boots_mutex_;
  std::condition_variable boots_changed_;
  int boots_in_flight_ = 0;         // guarded by boots_mutex_
  std::uint64_t room_epoch_ = 0;    // bumped when room may have freed; guarded by boots_mutex_
  std::vector<Resources> pulling_;  // provisional reservation per consumer; guarded by boots_mutex_
  StarvationGuard guard_;           // room held for starving classes; guarded by boots_mutex_
  std::mutex status_mutex_;
  std::condition_variable_any status_cv_;
  bool status_dirty_ = false;  // guarded by status_mutex_
  struct BootThread {
    std::shared_ptr<std::atomic<bool>> done;
    std::jthread thread;
  };
  std::vector<BootThread> boot_threads_;  // guarded by boots_mutex_

  std::atomic<bool> draining_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> killed_{false};  // kill(): boots still running end silently
  std::vector<std::jthread> consumer_threads_;
  std::jthread reaper_thread_;
  std::jthread heartbeat_thread_;
  std::jthread pool_thread_;
  std::jthread drain_thread_;
};

// VmEvent.runtime / accelerated from a runtime name ("qemu-tcg" -> qemu, false).
[[nodiscard]] std::pair<std::string, bool> runtime_facts(std::string_view runtime_name);

}  // namespace aether::worker
