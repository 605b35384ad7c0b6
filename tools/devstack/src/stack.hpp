// The commands of `aether-devstack`: a local stack of detached servers
// (nats-server, PostgreSQL, Redis, the OTLP sink) under one state dir, started
// by `up` and found again by `env`, `status` and `down` through the record in
// that dir (see stack_record.hpp).
//
// A Stack is a short-lived object used by one thread for one command. `up` and
// `down` hold an exclusive lock on <dir>/.lock so two of them cannot race.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "aether/devstack/error.hpp"

namespace aether::devstack::cli {

struct UpOptions {
  std::vector<std::string> only;  // empty: all (otlp only when its binary is found)
  int nats_port = 0;              // 0: the recorded port, else a free one
  int nats_nodes = 0;             // >1: a JetStream cluster (nats-0..); 0: as recorded, else 1
  int nats_monitor_port = 0;
  int postgres_port = 0;
  int redis_port = 0;
  int otlp_port = 0;
  std::string otlp_binary;  // empty: OtlpSink::find_binary()
};

struct StatusReport {
  std::string text;  // one line per recorded service
  bool all_running = false;
};

class Stack {
 public:
  // `progress` receives human-readable notes (stderr in the binary).
  Stack(std::filesystem::path state_dir, std::ostream& progress);

  // Starts what is selected and not already running; returns the env lines.
  [[nodiscard]] Result<std::string> up(const UpOptions& options);
  // The env lines of the recorded stack; kNotFound when nothing is up.
  [[nodiscard]] Result<std::string> env();
  [[nodiscard]] Result<StatusReport> status();
  // Stops every recorded server (or only those named); purge also deletes
  // their data dirs. Stopped servers stay recorded with their ports, so `up`
  // starts them again in place (same port, same data).
  [[nodiscard]] Result<void> down(bool purge, const std::vector<std::string>& only = {});

 private:
  std::filesystem::path dir_;
  std::ostream& progress_;
};

}  // namespace aether::devstack::cli
