// What every devstack launcher (NatsServer, Postgres, Redis, OtlpSink) shares:
// the state dir, the server process, the port, the accessors, stop/restart,
// and start-up with retries on a port taken between free_port() and bind().
//
// A launcher derives from Server; its start() finds its binary and hands
// itself with Settings to start_launcher(). It implements launch_process()
// (build the command line, then call launch()); prepare(), pick_ports() and
// after_launch() are hooks for set-up before the first launch (postgres
// initdb), a second port (nats monitor) and post-start set-up (postgres roles).
//
// Movable, not copyable; one owner thread at a time. Members are destroyed in
// order: the process is stopped before a temporary state dir is removed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "aether/devstack/error.hpp"
#include "aether/devstack/state_dir.hpp"
#include "aether/process/process.hpp"

namespace aether::devstack {

class Server {
 public:
  virtual ~Server() = default;
  Server(Server&&) noexcept = default;
  Server& operator=(Server&&) noexcept = default;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return process_.pid(); }
  [[nodiscard]] const std::filesystem::path& state_dir() const { return dir_.path(); }
  // <state>/<stem>.log: the server's stdout and stderr.
  [[nodiscard]] std::filesystem::path log_file() const;
  [[nodiscard]] bool running() { return process_.running(); }

  // Graceful stop signal, up to 10 s, then SIGKILL to the process group.
  [[nodiscard]] Result<void> stop();
  // SIGKILL to its process group now, no grace (a crash, for fault tests).
  void kill();
  // Stops (if running) and starts again on the same port(s) and state dir;
  // after stop() or kill() this is "start it again in place".
  [[nodiscard]] Result<void> restart();

 protected:
  // How a launcher names its files, messages and option fields.
  struct Naming {
    std::string program;      // in messages: "nats-server", "postgres", ...
    std::string file_stem;    // <state>/<stem>.log and .pid
    std::string temp_prefix;  // a temporary state dir's name, e.g. "aether-nats"
    std::string port_field;   // in errors, e.g. "RedisOptions::port"
  };
  // That, and the options every launcher has.
  struct Settings {
    Naming naming;
    std::string state_dir;  // empty: temporary
    int port = 0;           // 0: pick a free one
    bool detach = false;
    std::chrono::milliseconds start_timeout{30'000};
  };
  // Reads the shared fields of a launcher's options.
  template <class Options>
  [[nodiscard]] static Settings settings_of(const Options& options, Naming naming) {
    return Settings{std::move(naming), options.state_dir, options.port, options.detach,
                    options.start_timeout};
  }
  // The rest of every start(): checks the port, opens the state dir, runs
  // prepare(), then start_process().
  template <class Launcher>
  [[nodiscard]] static Result<Launcher> start_launcher(Launcher launcher, Settings settings) {
    if (auto ok = launcher.begin(std::move(settings)); !ok) return std::unexpected(ok.error());
    return launcher;
  }

  Server() = default;

  // Picks the port(s), launches, retries on a port conflict (3 attempts, never
  // for configured ports), runs after_launch(), then detaches if asked.
  [[nodiscard]] Result<void> start_process();
  // Spawns `spec` (log file, pid file and parent-death signal filled in here)
  // and waits up to start_timeout until `ready` returns true.
  [[nodiscard]] Result<void> launch(process::Spec spec, const std::function<bool()>& ready);

  [[nodiscard]] virtual Result<void> launch_process() = 0;
  // Set-up once the state dir exists, before the first launch.
  [[nodiscard]] virtual Result<void> prepare() { return {}; }
  // Sets port_ (and any other port) for the next attempt.
  [[nodiscard]] virtual Result<void> pick_ports();
  // True when no port was picked by us (so a conflict is not retried).
  [[nodiscard]] virtual bool ports_configured() const { return settings_.port != 0; }
  [[nodiscard]] virtual Result<void> after_launch() { return {}; }

  [[nodiscard]] const Settings& settings() const { return settings_; }

  int port_ = 0;
  StateDir dir_;  // declared before process_: destroyed after it

 private:
  [[nodiscard]] Result<void> begin(Settings settings);

  Settings settings_;
  process::ChildProcess process_;
};

// A process library error as a devstack error (same codes).
[[nodiscard]] Error from_process_error(const process::Error& error);

}  // namespace aether::devstack
