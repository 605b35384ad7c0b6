#include "aether/devstack/nats_cluster.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "aether/devstack/net.hpp"
#include "launch.hpp"

namespace aether::devstack {
namespace {

constexpr std::chrono::milliseconds kPoll{100};

std::optional<nlohmann::json> monitor_get(int monitor_port, const std::string& path, int* status) {
  httplib::Client client("127.0.0.1", monitor_port);
  client.set_connection_timeout(std::chrono::seconds(1));
  client.set_read_timeout(std::chrono::seconds(2));
  auto res = client.Get(path);
  if (!res) return std::nullopt;
  if (status) *status = res->status;
  auto doc = nlohmann::json::parse(res->body, nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  return doc;
}

// Routes to `peers` others and a JetStream meta leader, seen from one node.
bool node_formed(int monitor_port, std::size_t peers, std::string& why) {
  if (peers == 0) return true;  // alone: no routes, no meta group (healthz checked at start)
  auto routes = monitor_get(monitor_port, "/routez", nullptr);
  const auto have = routes ? routes->value("num_routes", 0) : 0;
  if (static_cast<std::size_t>(have) < peers) {
    why = std::to_string(have) + " of " + std::to_string(peers) + " routes";
    return false;
  }
  auto jsz = monitor_get(monitor_port, "/jsz", nullptr);
  if (!jsz || !jsz->contains("meta_cluster") ||
      (*jsz)["meta_cluster"].value("leader", std::string()).empty()) {
    why = "no JetStream meta leader yet";
    return false;
  }
  return true;
}

// `name`'s replica of every stream led by one of `running` is current.
bool replicas_current(const std::vector<NatsNodeMonitor>& running, const std::string& name,
                      std::string& why) {
  for (const auto& leader : running) {
    auto jsz = monitor_get(leader.monitor_port, "/jsz?accounts=true&streams=true", nullptr);
    if (!jsz) {
      why = leader.server_name + ": /jsz did not answer";
      return false;
    }
    for (const auto& account : jsz->value("account_details", nlohmann::json::array())) {
      for (const auto& stream : account.value("stream_detail", nlohmann::json::array())) {
        const auto cluster = stream.value("cluster", nlohmann::json::object());
        if (cluster.value("leader", std::string()) != leader.server_name) continue;
        for (const auto& replica : cluster.value("replicas", nlohmann::json::array())) {
          if (replica.value("name", std::string()) == name && !replica.value("current", false)) {
            why = "stream " + stream.value("name", std::string("?")) + " on " + name +
                  " is not current (leader " + leader.server_name + ")";
            return false;
          }
        }
      }
    }
  }
  return true;
}

}  // namespace

NatsServerOptions nats_cluster_node_options(std::size_t i, const std::vector<int>& cluster_ports,
                                            const std::string& cluster_name) {
  NatsServerOptions o;
  o.server_name = "n" + std::to_string(i);
  // One node is a plain JetStream server: nats-server refuses a JetStream
  // cluster without routes ("requires configured routes").
  if (cluster_ports.size() > 1) {
    o.cluster_name = cluster_name;
    o.cluster_port = cluster_ports.at(i);
    for (std::size_t j = 0; j < cluster_ports.size(); ++j) {
      if (j != i) o.routes.push_back("nats://127.0.0.1:" + std::to_string(cluster_ports[j]));
    }
  }
  return o;
}

Result<void> wait_nats_cluster_formed(const std::vector<NatsNodeMonitor>& running,
                                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string why;
  for (;;) {
    bool all = true;
    for (const auto& node : running) {
      std::string node_why;
      if (!node_formed(node.monitor_port, running.size() - 1, node_why)) {
        all = false;
        why = node.server_name + ": " + node_why;
        break;
      }
    }
    if (all) return {};
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPoll);
  }
  return make_error(Errc::kTimeout, "nats cluster did not form within " +
                                        std::to_string(timeout.count()) + " ms (" + why + ")");
}

Result<void> wait_nats_node_current(const std::vector<NatsNodeMonitor>& running,
                                    const std::string& name, std::chrono::milliseconds timeout) {
  // Not the full /healthz: on nats-server 2.9.10 it kept saying the idle
  // durable consumer "is not current" on the restarted node for the whole
  // minute the itest waited, though the consumer served every message.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string why;
  while (std::chrono::steady_clock::now() < deadline) {
    if (replicas_current(running, name, why)) return {};
    std::this_thread::sleep_for(kPoll);
  }
  return make_error(Errc::kTimeout, "node " + name + " did not catch up within " +
                                        std::to_string(timeout.count()) + " ms: " + why);
}

Result<NatsCluster> NatsCluster::start(Options options) {
  if (options.size < 1 || options.size > 7) {
    return make_error(
        Errc::kInvalidArgument,
        "NatsClusterOptions::size: " + std::to_string(options.size) + " is outside 1..7");
  }
  if (options.cluster_name.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "NatsClusterOptions::cluster_name: must not be empty");
  }
  Error last{Errc::kStartFailed, "nats cluster: no start attempted"};
  // A picked port can be taken before its node binds it: pick all again.
  for (int attempt = 0; attempt < detail::kPortAttempts; ++attempt) {
    NatsCluster cluster;
    cluster.start_timeout_ = options.start_timeout;
    auto dir = StateDir::open(options.state_dir, "aether-nats-cluster");
    if (!dir) return std::unexpected(dir.error());
    cluster.dir_ = std::move(*dir);
    const auto n = static_cast<std::size_t>(options.size);
    std::vector<int> client(n), monitor(n), route(n);
    for (std::size_t i = 0; i < n; ++i) {
      for (int* port : {&client[i], &monitor[i], &route[i]}) {
        auto picked = free_port();
        if (!picked) return std::unexpected(picked.error());
        *port = *picked;
      }
    }
    bool conflict = false;
    for (std::size_t i = 0; i < n && !conflict; ++i) {
      auto o = nats_cluster_node_options(i, route, options.cluster_name);
      o.state_dir = (cluster.dir_.path() / o.server_name).string();
      o.port = client[i];
      o.monitor_port = monitor[i];
      o.start_timeout = options.start_timeout;
      o.binary = options.binary;
      auto node = NatsServer::start(o);
      if (!node) {
        last = node.error();
        last.message = "node n" + std::to_string(i) + ": " + last.message;
        if (!detail::is_port_conflict(node.error())) return std::unexpected(last);
        conflict = true;
        break;
      }
      cluster.nodes_.push_back(std::move(*node));
      cluster.running_.push_back(true);
    }
    if (conflict) continue;
    if (auto formed = cluster.wait_formed(options.start_timeout); !formed) {
      return std::unexpected(formed.error());
    }
    return cluster;
  }
  return std::unexpected(last);
}

std::vector<std::string> NatsCluster::url_list() const {
  std::vector<std::string> out;
  for (const auto& node : nodes_) out.push_back(node.url());
  return out;
}

std::string NatsCluster::urls() const {
  std::string out;
  for (const auto& url : url_list()) out += (out.empty() ? "" : ",") + url;
  return out;
}

std::string NatsCluster::server_name(std::size_t i) const { return "n" + std::to_string(i); }

Result<void> NatsCluster::check_index(std::size_t i, const char* what) const {
  if (i < nodes_.size()) return {};
  return make_error(Errc::kInvalidArgument, std::string("NatsCluster::") + what + ": node " +
                                                std::to_string(i) + " does not exist (size " +
                                                std::to_string(nodes_.size()) + ")");
}

Result<void> NatsCluster::kill_node(std::size_t i) {
  if (auto ok = check_index(i, "kill_node"); !ok) return ok;
  nodes_[i].kill();
  running_[i] = false;
  return {};
}

Result<void> NatsCluster::stop_node(std::size_t i) {
  if (auto ok = check_index(i, "stop_node"); !ok) return ok;
  if (auto stopped = nodes_[i].stop(); !stopped) return stopped;
  running_[i] = false;
  return {};
}

Result<void> NatsCluster::start_node(std::size_t i) {
  if (auto ok = check_index(i, "start_node"); !ok) return ok;
  if (auto started = nodes_[i].restart(); !started) return started;
  running_[i] = true;
  if (auto formed = wait_formed(start_timeout_); !formed) return formed;
  // Every stream replica the node holds is current, as the streams' leaders see it.
  return wait_nats_node_current(running_monitors(), server_name(i), start_timeout_);
}

std::vector<NatsNodeMonitor> NatsCluster::running_monitors() const {
  std::vector<NatsNodeMonitor> out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (running_[i]) out.push_back({server_name(i), nodes_[i].monitor_port()});
  }
  return out;
}

Result<void> NatsCluster::wait_formed(std::chrono::milliseconds timeout) {
  return wait_nats_cluster_formed(running_monitors(), timeout);
}

}  // namespace aether::devstack
