// A real nats-server (with JetStream) on a loopback port, for tests, benchmarks
// and `make run`.
//
// start() picks free ports (client and HTTP monitor) unless configured, runs
// `nats-server -js -sd <state>/jetstream -a 127.0.0.1 -p PORT -m MONPORT` with
// its log in <state>/nats-server.log, and returns once the monitor's /healthz
// answers ok (JetStream included). The destructor stops the server and removes
// a temporary state dir, unless Options::detach is set. restart() keeps both
// ports and the JetStream store, so persisted streams survive it.
//
// Movable, not copyable; one owner thread at a time.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "aether/devstack/error.hpp"
#include "aether/devstack/server.hpp"

namespace aether::devstack {

struct NatsServerOptions {
  std::string state_dir;  // empty: a fresh temporary directory, removed on destruction
  int port = 0;           // client port; 0 picks a free one
  bool jetstream = true;
  int monitor_port = 0;  // HTTP monitor port; 0 picks a free one
  bool detach = false;   // keep running (and keep the state dir) after destruction
  std::chrono::milliseconds start_timeout{30'000};
  std::string binary;  // empty: nats-server from PATH or /usr/sbin
  // Clustering (NatsCluster sets these): with a cluster_name the server gets
  // `--name server_name --cluster_name N --cluster nats://127.0.0.1:cluster_port
  // --routes <routes>`; cluster_port 0 picks a free one.
  std::string server_name;
  std::string cluster_name;
  int cluster_port = 0;
  std::vector<std::string> routes;  // nats://127.0.0.1:PORT of the other nodes
};

class NatsServer final : public Server {
 public:
  using Options = NatsServerOptions;

  [[nodiscard]] static Result<NatsServer> start(Options options = {});

  // Movable (see Server); destruction stops the process, then removes a temporary dir.
  [[nodiscard]] std::string url() const;  // nats://127.0.0.1:PORT
  [[nodiscard]] int monitor_port() const { return monitor_port_; }
  [[nodiscard]] std::string monitor_url() const;                    // http://127.0.0.1:MONPORT
  [[nodiscard]] int cluster_port() const { return cluster_port_; }  // 0 unless clustered
  // stop(), restart() (same ports and JetStream store), port(), pid(),
  // state_dir(), log_file(), running(): see Server.

 private:
  NatsServer() = default;
  [[nodiscard]] Result<void> launch_process() override;
  [[nodiscard]] Result<void> pick_ports() override;
  [[nodiscard]] bool ports_configured() const override;

  Options options_;
  std::string binary_;
  int monitor_port_ = 0;
  int cluster_port_ = 0;
};

}  // namespace aether::devstack
