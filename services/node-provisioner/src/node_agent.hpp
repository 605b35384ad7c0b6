// The DaemonSet side: runs provisioning rounds (on start, on an interval, and
// on request over `aether.node.<node>.probe`), labels the node through the
// API server, publishes each round as a NodeEvent on
// `aether.evt.node.<node>.<provisioned|unsupported|degraded>`, and serves NATS
// micro discovery. A failed labelling (no token, API server unreachable, 403,
// 409 after retries) is retried with backoff between rounds and reported by
// not_ready().
//
// Lifecycle: construct, start() (first round, then the loop thread and the
// bus endpoints), stop() (or the destructor). Threads: rounds run on the loop
// thread and on the probe endpoint's cnats thread, one at a time (round_mutex_);
// the getters are safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "aether/bus/connection.hpp"
#include "aether/bus/micro.hpp"
#include "aether/http/metrics.hpp"
#include "node_labeler.hpp"
#include "provisioner.hpp"

namespace aether::provisioner {

// Kubernetes node names may hold '.', which would split a subject token;
// '_' is not allowed in node names, so '.' -> '_' is reversible.
[[nodiscard]] std::string node_subject_token(const std::string& node);
[[nodiscard]] std::string node_event_subject(const std::string& node, NodeState state);
[[nodiscard]] std::string node_probe_subject(const std::string& node);

struct NodeAgentOptions {
  std::chrono::milliseconds interval{std::chrono::minutes(10)};
  std::chrono::milliseconds retry_min{std::chrono::seconds(1)};
  std::chrono::milliseconds retry_max{std::chrono::minutes(1)};
  std::string version = "0.0.0";
};

// Makes the labeler (reads credentials); called again after a failure.
using LabelerFactory = std::function<Result<NodeLabeler>()>;

struct RoundResult {
  NodeReport report;
  v1::NodeEvent event;
  std::optional<Error> label_error;
  std::optional<bus::Error> publish_error;
};

class NodeAgent {
 public:
  // labeler_factory empty: no Kubernetes (a plain host); bus empty: no events.
  NodeAgent(Provisioner& provisioner, LabelerFactory labeler_factory,
            std::optional<bus::Connection> bus, http::Registry& registry, NodeAgentOptions options);
  ~NodeAgent();
  NodeAgent(const NodeAgent&) = delete;
  NodeAgent& operator=(const NodeAgent&) = delete;

  // One round now: provision, label, publish.
  RoundResult round();
  // Creates stream AETHER_EVENTS if nobody has yet (never changes an existing
  // one); start() does it, a `--once` round calls it first. No-op without a bus.
  void ensure_events_stream();
  [[nodiscard]] Result<void> start();
  void stop();

  // Why /readyz should fail, or nullopt.
  [[nodiscard]] std::optional<std::string> not_ready() const;
  [[nodiscard]] std::optional<v1::NodeEvent> last_event() const;

 private:
  std::optional<Error> label(const NodeReport& report, v1::NodeEvent& event);
  void loop();

  Provisioner& provisioner_;
  LabelerFactory labeler_factory_;
  std::optional<NodeLabeler> labeler_;  // guarded by round_mutex_
  std::optional<bus::Connection> bus_;
  NodeAgentOptions options_;
  http::Family<http::Counter>& kube_failures_;
  http::Counter& publish_failures_;
  http::Counter& rounds_;

  std::mutex round_mutex_;  // one round at a time

  mutable std::mutex state_mutex_;
  std::optional<v1::NodeEvent> last_event_;  // guarded by state_mutex_
  std::optional<NodeReport> last_report_;    // guarded by state_mutex_
  std::optional<std::string> label_error_;   // guarded by state_mutex_
  bool stopping_ = false;                    // guarded by state_mutex_
  std::condition_variable wake_;

  std::unique_ptr<bus::Service> service_;
  std::thread thread_;
};

}  // namespace aether::provisioner
