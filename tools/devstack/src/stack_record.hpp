// What `aether-devstack up` leaves in its state dir so later commands (env,
// status, down) find the detached servers: <dir>/stack.json (pids, programs,
// ports, env) and <dir>/stack.env (the `export` lines, for `source`).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aether/devstack/error.hpp"

namespace aether::devstack::cli {

// The services a stack can hold, in start order.
inline const std::vector<std::string> kServiceNames = {"nats", "postgres", "redis", "otlp"};

// A JetStream cluster (`up --nats-nodes N`) is recorded as one service per
// node, "nats-0" .. "nats-<N-1>" (server names n0 ..); one nats-server is "nats".
[[nodiscard]] std::string nats_node_name(std::size_t i);
// The node index of "nats-<i>"; nullopt for any other name.
[[nodiscard]] std::optional<std::size_t> nats_node_index(const std::string& name);
// "nats" for a nats node, else the name itself.
[[nodiscard]] std::string service_kind(const std::string& name);

struct ServiceRecord {
  std::string name;     // one of kServiceNames
  pid_t pid = 0;        // 0 once `down` stopped it (the ports are kept for the next up)
  std::string program;  // /proc/<pid>/exe at start: tells it from a reused pid
  int stop_signal = 15;
  int port = 0;
  int monitor_port = 0;                    // nats only
  std::map<std::string, std::string> env;  // e.g. NATS_URL -> nats://127.0.0.1:4222
  int cluster_port = 0;                    // a nats cluster node's route port
};

struct StackRecord {
  std::vector<ServiceRecord> services;  // in kServiceNames order (nats nodes by index)

  [[nodiscard]] const ServiceRecord* find(const std::string& name) const;
  void put(ServiceRecord record);  // replaces a record of the same name
  // How many nats-<i> records there are (0: one plain nats-server, or none).
  [[nodiscard]] std::size_t nats_nodes() const;
};

[[nodiscard]] std::filesystem::path record_file(const std::filesystem::path& dir);
[[nodiscard]] std::filesystem::path env_file(const std::filesystem::path& dir);

// An empty record when the file does not exist; an error when it is unreadable.
[[nodiscard]] Result<StackRecord> load_record(const std::filesystem::path& dir);
// Writes stack.json and stack.env (both replaced atomically; stack.env is
// removed when no service has a pid).
[[nodiscard]] Result<void> save_record(const std::filesystem::path& dir, const StackRecord& rec);
// Removes stack.json and stack.env.
void remove_record(const std::filesystem::path& dir);

// `export NAME='value'` lines for every service with a pid; a variable several
// services give (NATS_URL of each cluster node) is their comma-separated list.
[[nodiscard]] std::string env_lines(const StackRecord& record);

}  // namespace aether::devstack::cli
