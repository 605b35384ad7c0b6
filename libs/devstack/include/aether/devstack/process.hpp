// A server process started by a devstack launcher.
//
// ChildProcess forks and execs one program in its own session (setsid), with
// stdin from /dev/null, stdout and stderr appended to a log file, every other
// descriptor closed, and optionally a pid file and a different OS user. By
// default the process is stopped (stop signal, then SIGKILL to its process
// group after a bound) when the object is destroyed, and it also receives
// SIGKILL if the thread that spawned it dies first (PR_SET_PDEATHSIG), so a
// crashed test leaves no server behind: spawn from a thread that outlives the
// server. detach() turns both off, for servers that must outlive this process.
//
// Lifecycle: spawn() -> running()/wait_exit()/stop() -> destructor. Movable,
// not copyable. Not thread-safe: one owner thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "aether/devstack/error.hpp"

namespace aether::devstack {

inline constexpr std::chrono::milliseconds kDefaultStopGrace{10'000};

struct ProcessSpec {
  std::vector<std::string> argv;      // argv[0] is an absolute path to the program
  std::filesystem::path log_file;     // stdout+stderr, appended; required
  std::filesystem::path pid_file;     // written after spawn when not empty
  std::filesystem::path working_dir;  // chdir before exec when not empty
  std::string run_as_user;            // setuid/setgid to this user when not empty
  int stop_signal = SIGTERM;          // the graceful stop signal for this program
  // SIGKILL the process when the spawning thread dies; false for servers that
  // must outlive this process (see detach()).
  bool kill_with_parent = true;
};

class ChildProcess {
 public:
  [[nodiscard]] static Result<ChildProcess> spawn(ProcessSpec spec);

  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const ProcessSpec& spec() const { return spec_; }

  // True while the process runs; reaps it (and records its status) once it
  // has exited.
  [[nodiscard]] bool running();
  // "exited with status N" / "killed by signal N" once it has exited.
  [[nodiscard]] std::optional<std::string> exit_description() const { return exit_description_; }
  // True once it has exited with status 0.
  [[nodiscard]] bool exited_successfully() const { return exited_ok_; }

  // Sends spec.stop_signal, waits up to `grace`, then SIGKILLs the process
  // group. Idempotent; removes the pid file.
  [[nodiscard]] Result<void> stop(std::chrono::milliseconds grace = kDefaultStopGrace);

  // The destructor no longer stops the process.
  void detach() { detached_ = true; }
  [[nodiscard]] bool detached() const { return detached_; }

 private:
  void reap_if_exited(bool block);

  ProcessSpec spec_;
  pid_t pid_ = -1;
  bool detached_ = false;
  std::optional<std::string> exit_description_;
  bool exited_ok_ = false;
};

// True when `pid` names a live process (a zombie counts as gone).
[[nodiscard]] bool pid_alive(pid_t pid);

// The executable a live process runs (/proc/<pid>/exe), or empty when
// unreadable. Used to tell a recorded server from an unrelated process that
// reuses its pid.
[[nodiscard]] std::string pid_program(pid_t pid);

// True when `pid` is alive and runs `program` (an absolute path).
[[nodiscard]] bool pid_runs_program(pid_t pid, const std::string& program);

// Stops a process this process did not spawn (e.g. one recorded by
// `aether-devstack up`): `signal`, wait up to `grace`, then SIGKILL to it and
// its process group. Succeeds when the process is already gone.
[[nodiscard]] Result<void> stop_pid(pid_t pid, int signal = SIGTERM,
                                    std::chrono::milliseconds grace = kDefaultStopGrace);

// The last `max_lines` lines of a log file, for error messages.
[[nodiscard]] std::string log_tail(const std::filesystem::path& file, int max_lines = 30);

}  // namespace aether::devstack
