// A real JetStream cluster of nats-server processes on loopback, as production
// runs NATS (three nodes with routes, streams with 3 replicas), for tests of
// what survives a node crash.
//
// start() picks every node's client, monitor and cluster port, starts node i
// as `nats-server --name n<i> --cluster_name <name> --cluster
// nats://127.0.0.1:<cport> --routes <the other nodes> -js -sd <state>/n<i>/jetstream`,
// and returns once every node routes to every other and the JetStream meta
// group has a leader. kill_node() SIGKILLs one (a crash), stop_node() stops it
// gracefully, start_node() brings it back on the same ports and store and
// waits until it has rejoined and its stream replicas are current (as each
// stream's leader reports in /jsz).
// urls() is the client URL list (comma-separated, as cnats and NATS_URL take it).
//
// Owns the nodes and (unless state_dir is given) a temporary dir holding
// theirs; destruction stops them, then removes it. Movable, not copyable; one
// owner thread at a time (start it from a thread that outlives it, see the
// README on PR_SET_PDEATHSIG).
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "aether/devstack/error.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/devstack/state_dir.hpp"

namespace aether::devstack {

struct NatsClusterOptions {
  std::string state_dir;  // empty: a fresh temporary directory, removed on destruction
  int size = 3;           // nodes, 1..7
  std::string cluster_name = "aether";
  std::chrono::milliseconds start_timeout{60'000};  // per node, and for the cluster to form
  std::string binary;                               // empty: nats-server from PATH or /usr/sbin
};

// What NatsCluster does, for a caller holding the nodes itself (detached
// servers found again through a record, as `aether-devstack up --nats-nodes 3`):
//
// The cluster settings of node i (server name n<i>, the cluster name, its
// cluster port, routes to every other node's); the caller adds the state dir,
// client/monitor ports, detach, binary and timeout.
[[nodiscard]] NatsServerOptions nats_cluster_node_options(std::size_t i,
                                                          const std::vector<int>& cluster_ports,
                                                          const std::string& cluster_name);
// A running node as its HTTP monitor shows it.
struct NatsNodeMonitor {
  std::string server_name;  // n<i>
  int monitor_port = 0;
};
// Every node in `running` routes to every other one and sees a meta leader.
[[nodiscard]] Result<void> wait_nats_cluster_formed(const std::vector<NatsNodeMonitor>& running,
                                                    std::chrono::milliseconds timeout);
// Node `name`'s replica of every stream is current, as each stream's leader
// (one of `running`) reports in /jsz.
[[nodiscard]] Result<void> wait_nats_node_current(const std::vector<NatsNodeMonitor>& running,
                                                  const std::string& name,
                                                  std::chrono::milliseconds timeout);

class NatsCluster {
 public:
  using Options = NatsClusterOptions;

  [[nodiscard]] static Result<NatsCluster> start(Options options = {});

  NatsCluster(NatsCluster&&) noexcept = default;
  NatsCluster& operator=(NatsCluster&&) noexcept = default;
  ~NatsCluster() = default;  // nodes_ first (stops them), then dir_

  [[nodiscard]] std::size_t size() const { return nodes_.size(); }
  // nats://127.0.0.1:A,nats://127.0.0.1:B,... (every node, running or not).
  [[nodiscard]] std::string urls() const;
  [[nodiscard]] std::vector<std::string> url_list() const;
  [[nodiscard]] std::string server_name(std::size_t i) const;  // "n<i>", as JetStream reports it
  [[nodiscard]] NatsServer& node(std::size_t i) { return nodes_.at(i); }
  [[nodiscard]] const std::filesystem::path& state_dir() const { return dir_.path(); }

  // Index out of range: kInvalidArgument.
  [[nodiscard]] Result<void> kill_node(std::size_t i);
  [[nodiscard]] Result<void> stop_node(std::size_t i);
  [[nodiscard]] Result<void> start_node(std::size_t i);
  // Every running node routes to every other running one and sees a meta leader.
  [[nodiscard]] Result<void> wait_formed(std::chrono::milliseconds timeout);

 private:
  NatsCluster() = default;
  [[nodiscard]] Result<void> check_index(std::size_t i, const char* what) const;
  [[nodiscard]] std::vector<NatsNodeMonitor> running_monitors() const;

  StateDir dir_;                   // declared first: destroyed after the nodes
  std::vector<NatsServer> nodes_;  // node i's state in dir_/n<i>
  std::vector<bool> running_;      // what we last did to each node
  std::chrono::milliseconds start_timeout_{60'000};
};

}  // namespace aether::devstack
