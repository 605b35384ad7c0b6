// A real redis-server on a loopback port, for tests, benchmarks and `make run`.
//
// start() runs `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no
// --dir <state>` (no persistence: a cache for tests; with Options::persist,
// `--save 3600 1` instead, so a graceful stop() writes <state>/dump.rdb and
// restart() loads it: same port, same data), logs to
// <state>/redis-server.log and returns once it answers PING. The destructor
// stops it and removes a temporary state dir, unless Options::detach is set.
//
// Movable, not copyable; one owner thread at a time.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "aether/devstack/error.hpp"
#include "aether/devstack/server.hpp"

namespace aether::devstack {

struct RedisOptions {
  std::string state_dir;  // empty: a fresh temporary directory, removed on destruction
  int port = 0;           // 0 picks a free one
  bool detach = false;    // keep running (and keep the state dir) after destruction
  std::chrono::milliseconds start_timeout{30'000};
  std::string binary;    // empty: redis-server from PATH or /usr/bin
  bool persist = false;  // keep the data across stop()/restart() (an RDB file in state_dir)
};

class Redis final : public Server {
 public:
  using Options = RedisOptions;

  [[nodiscard]] static Result<Redis> start(Options options = {});

  // Movable (see Server); destruction stops the process, then removes a temporary dir.
  [[nodiscard]] std::string url() const;  // redis://127.0.0.1:PORT
  // stop(), restart(), port(), pid(), state_dir(), log_file(), running(): see Server.

 private:
  Redis() = default;
  [[nodiscard]] Result<void> launch_process() override;

  Options options_;
  std::string binary_;
};

}  // namespace aether::devstack
