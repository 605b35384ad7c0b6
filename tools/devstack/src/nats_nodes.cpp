#include "nats_nodes.hpp"

#include <algorithm>
#include <csignal>

#include "aether/devstack/nats_cluster.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/devstack/net.hpp"
#include "aether/process/process.hpp"

namespace aether::devstack::cli {
namespace {

constexpr std::chrono::milliseconds kClusterTimeout{60'000};
constexpr const char* kClusterName = "aether";

bool runs(const ServiceRecord* r) {
  return r && r->pid != 0 && process::pid_runs_program(r->pid, r->program);
}

std::string server_name(std::size_t i) { return "n" + std::to_string(i); }

// Every node's ports: recorded, else free ones (recorded with pid 0, so the
// routes of the first node started already name the later ones).
Result<void> assign_ports(StackRecord& record, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    if (record.find(nats_node_name(i))) continue;
    ServiceRecord r;
    r.name = nats_node_name(i);
    r.stop_signal = SIGTERM;
    for (int* port : {&r.port, &r.monitor_port, &r.cluster_port}) {
      auto picked = free_port();
      if (!picked) return std::unexpected(picked.error());
      *port = *picked;
    }
    record.put(std::move(r));
  }
  return {};
}

std::vector<NatsNodeMonitor> running_nodes(const StackRecord& record, std::size_t size) {
  std::vector<NatsNodeMonitor> out;
  for (std::size_t i = 0; i < size; ++i) {
    const auto* r = record.find(nats_node_name(i));
    if (runs(r)) out.push_back({server_name(i), r->monitor_port});
  }
  return out;
}

Result<ServiceRecord> start_node(const std::filesystem::path& dir, const StackRecord& record,
                                 std::size_t size, std::size_t i) {
  std::vector<int> cluster_ports;
  for (std::size_t j = 0; j < size; ++j)
    cluster_ports.push_back(record.find(nats_node_name(j))->cluster_port);
  ServiceRecord r = *record.find(nats_node_name(i));
  auto o = nats_cluster_node_options(i, cluster_ports, kClusterName);
  o.state_dir = (dir / "nats" / server_name(i)).string();
  o.port = r.port;
  o.monitor_port = r.monitor_port;
  o.detach = true;
  auto server = NatsServer::start(o);
  if (!server) return std::unexpected(server.error());
  r.pid = server->pid();
  r.program = process::pid_program(server->pid());
  r.env["NATS_URL"] = server->url();
  return r;
}

}  // namespace

Result<std::size_t> nats_size(const StackRecord& record, int requested,
                              const std::filesystem::path& dir) {
  const std::size_t recorded = record.nats_nodes();
  const bool single = record.find("nats") != nullptr;
  if (requested < 0 || requested > 7) {
    return make_error(Errc::kInvalidArgument,
                      "--nats-nodes: " + std::to_string(requested) + " is outside 1..7");
  }
  if (requested == 0) return recorded > 0 ? recorded : 1;
  const auto want = static_cast<std::size_t>(requested);
  const std::string have = recorded > 0 ? std::to_string(recorded) + "-node nats cluster"
                                        : std::string("single nats-server");
  if ((recorded > 0 && recorded != want) || (single && want > 1)) {
    return make_error(Errc::kInvalidArgument,
                      "--nats-nodes " + std::to_string(want) + ": " + dir.string() + " holds a " +
                          have + " (aether-devstack down --purge --only nats --state-dir " +
                          dir.string() + " first)");
  }
  return want;
}

Result<void> up_nats_nodes(const std::filesystem::path& dir, StackRecord& record, std::size_t size,
                           const std::vector<std::size_t>& wanted, std::ostream& progress,
                           const std::function<Result<void>()>& save) {
  for (auto i : wanted) {
    if (i >= size) {
      return make_error(
          Errc::kInvalidArgument,
          "--only " + nats_node_name(i) + ": the cluster has " + std::to_string(size) + " nodes");
    }
  }
  if (auto ok = assign_ports(record, size); !ok) return ok;
  const bool others_ran = !running_nodes(record, size).empty();
  std::vector<std::size_t> started;
  for (auto i : wanted) {
    const auto* r = record.find(nats_node_name(i));
    if (runs(r)) {
      progress << "aether-devstack: " << r->name << " already runs (pid " << r->pid << ")\n";
      continue;
    }
    progress << "aether-devstack: starting " << nats_node_name(i) << " (cluster node "
             << server_name(i) << " of " << size << ")\n";
    auto node = start_node(dir, record, size, i);
    if (!node)
      return make_error(node.error().code, nats_node_name(i) + ": " + node.error().message);
    record.put(std::move(*node));
    if (auto saved = save(); !saved) return saved;
    started.push_back(i);
  }
  if (started.empty()) return {};
  const auto running = running_nodes(record, size);
  if (auto formed = wait_nats_cluster_formed(running, kClusterTimeout); !formed) return formed;
  if (!others_ran) return {};
  for (auto i : started) {
    progress << "aether-devstack: waiting until " << server_name(i) << " has caught up\n";
    if (auto current = wait_nats_node_current(running, server_name(i), kClusterTimeout); !current) {
      return current;
    }
  }
  return {};
}

}  // namespace aether::devstack::cli
