// Autoscaler: the controller. It keeps its inputs current from events —
// the aether_workers KV watch (heartbeats, expiries), creates as they are
// published on the create subject(s), VM events — and on every change (and
// on a short timer) the leader reads the create consumer(s)' backlog, asks
// the ScalingPolicy, and acts through the Actuator: scale-up at once;
// scale-down by sending aether.worker.<id>.drain to the chosen idle workers,
// waiting until they are empty, then removing them. Every decision is an
// aether.evt.scale.<action> ScaleDecision (holds only when what they say
// changes). Actuator errors are retried with doubling backoff and reported
// in events and metrics.
//
// Lifecycle: construct, start(), stop() (or destructor). Threads: one
// controller thread owns the policy, actuator and removal state; the KV
// watch, the subscriptions and the lease thread only update inputs and wake
// it. role()/is_leader() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actuator.hpp"
#include "aether/bus/connection.hpp"
#include "aether/bus/jetstream.hpp"
#include "aether/bus/kv.hpp"
#include "aether/http/metrics.hpp"
#include "bus_listener.hpp"
#include "create_sizes.hpp"
#include "fleet.hpp"
#include "leader.hpp"
#include "metrics.hpp"
#include "policy.hpp"

namespace aether::autoscaler {

struct AutoscalerConfig {
  std::string id;  // this replica (lease holder name, ScaleDecision.leader)
  PolicyConfig policy;
  LeaseConfig lease;  // holder is set from id
  std::string stream = "AETHER_CMDS";
  std::vector<std::string> consumers = {"vm-create"};  // see AETHER_AUTOSCALER_CONSUMERS
  std::vector<std::string> create_subjects = {"aether.cmd.vm.create", "aether.cmd.vm.create.>"};
  std::chrono::milliseconds eval_interval{1'000};      // the short timer
  std::chrono::milliseconds refresh_interval{10'000};  // re-read the actuator's count
  std::chrono::milliseconds drain_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds retry_initial{1'000};
  std::chrono::milliseconds retry_max{60'000};
  Resources default_vm{1, 256, 1};  // size of a queued create before any is seen
  // The bus contract's resources, made at start; nullopt: left to others.
  std::optional<bus::ProvisionConfig> provision = bus::ProvisionConfig{};
};

class Autoscaler {
 public:
  Autoscaler(AutoscalerConfig config, bus::Connection connection,
             std::unique_ptr<Actuator> actuator, http::Registry& registry);
  ~Autoscaler();
  Autoscaler(const Autoscaler&) = delete;
  Autoscaler& operator=(const Autoscaler&) = delete;

  [[nodiscard]] Result<void> start();
  // release_lease = false leaves the lease to expire (as a crash would).
  void stop(bool release_lease = true);

  [[nodiscard]] bool is_leader() const;
  [[nodiscard]] std::string role() const { return is_leader() ? "leader" : "follower"; }
  [[nodiscard]] const AutoscalerConfig& config() const { return config_; }
  [[nodiscard]] int observed_workers() const;

 private:
  struct Removal {
    std::vector<WorkerView> workers;
    std::vector<bool> drained;
    TimePoint started;
  };

  void loop(std::stop_token stop);
  void wake(bool soon_again = false);
  void evaluate(bool timer_tick);
  [[nodiscard]] std::optional<Demand> read_demand();
  void act(const Decision& d, const std::vector<WorkerView>& workers);
  void start_removal(const Decision& d);
  void continue_removal(const std::vector<WorkerView>& workers);
  [[nodiscard]] bool actuate(const ScaleRequest& request, const Decision& d);
  void publish(const Decision& d, const std::string& note = {});
  void on_role(bool leader);

  AutoscalerConfig config_;
  bus::Connection connection_;
  std::unique_ptr<Actuator> actuator_;
  Metrics metrics_;
  FleetView fleet_;
  CreateSizes sizes_;
  std::unique_ptr<LeaderElection> lease_;
  std::unique_ptr<bus::KvWatch> workers_watch_;
  std::vector<std::unique_ptr<BusListener>> listeners_;

  // Controller thread only:
  std::unique_ptr<ScalingPolicy> policy_;  // one per leader term
  std::optional<int> current_;
  TimePoint current_read_at_{};
  std::optional<Removal> removal_;
  TimePoint retry_at_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_published_;  // what the last published decision said (from:target:action)
  bool was_leader_ = false;

  std::mutex wake_mutex_;  // guards wake_, again_at_
  std::condition_variable_any wake_cv_;
  bool wake_ = false;
  std::optional<TimePoint> again_at_;
  std::jthread thread_;
};

}  // namespace aether::autoscaler
