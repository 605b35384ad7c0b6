// A real redis-server on a loopback port, for tests, benchmarks and `make run`.
//
// start() runs `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no
// --dir <state>` (no persistence: a cache for tests), logs to
// <state>/redis-server.log and returns once it answers PING. The destructor
// stops it and removes a temporary state dir, unless Options::detach is set.
//
// Movable, not copyable; one owner thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "aether/devstack/error.hpp"
#include "aether/devstack/process.hpp"
#include "aether/devstack/state_dir.hpp"

namespace aether::devstack {

struct RedisOptions {
  std::string state_dir;  // empty: a fresh temporary directory, removed on destruction
  int port = 0;           // 0 picks a free one
  bool detach = false;    // keep running (and keep the state dir) after destruction
  std::chrono::milliseconds start_timeout{30'000};
  std::string binary;  // empty: redis-server from PATH or /usr/bin
};

class Redis {
 public:
  using Options = RedisOptions;

  [[nodiscard]] static Result<Redis> start(Options options = {});

  Redis(Redis&&) noexcept = default;
  Redis& operator=(Redis&&) noexcept = default;
  ~Redis() = default;  // members stop the process, then remove the dir

  [[nodiscard]] std::string url() const;  // redis://127.0.0.1:PORT
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return process_.pid(); }
  [[nodiscard]] const std::filesystem::path& state_dir() const { return dir_.path(); }
  [[nodiscard]] std::filesystem::path log_file() const;
  [[nodiscard]] bool running() { return process_.running(); }

  [[nodiscard]] Result<void> stop();
  // Stops (if running) and starts again on the same port (empty: no persistence).
  [[nodiscard]] Result<void> restart();

 private:
  Redis() = default;
  [[nodiscard]] Result<void> launch_process();

  Options options_;
  std::string binary_;
  int port_ = 0;
  StateDir dir_;  // declared before process_: destroyed after it
  ChildProcess process_;
};

}  // namespace aether::devstack
