// A child process: fork/exec of one program with its output in a log file,
// watched through a pidfd, stopped (or killed) and reaped by its owner.
//
// One class serves both users: libs/devstack's servers (nats-server,
// postgres as OS user postgres, ...: a graceful stop signal, a pid file,
// PR_SET_PDEATHSIG, detach() for `aether-devstack up --detach`) and libs/vmm's
// VMM processes (SIGKILL at once, no parent-death signal because VMs outlive
// the thread that booted them, signal_kill() from any thread).
//
// spawn() forks and execs spec.argv in its own session (setsid, so a signal to
// the caller's process group does not hit it), stdin from /dev/null, stdout
// and stderr appended to spec.log_file; it returns only after a successful
// exec (an exec error comes back as an Error naming the step that failed).
//
// Lifecycle: spawn() -> running()/wait_for()/stop()/kill() -> destructor,
// which stops the process with spec.stop_grace unless detach() was called.
// Movable, not copyable. Not thread-safe: one owner thread at a time, except
// signal_kill(), which any thread may call while the owner is blocked.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace aether::process {

enum class Errc {
  kInvalidArgument,  // a bad Spec field (message names it)
  kNotFound,         // the program is missing or not executable
  kIo,               // a file or system call failed (log file, pid file, kill)
  kSpawn,            // fork, or a step in the child before exec, failed
  kTimeout,          // a process did not end within the bound
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

inline constexpr std::chrono::milliseconds kDefaultStopGrace{10'000};

struct Spec {
  std::vector<std::string> argv;      // argv[0] is the path to the program
  std::filesystem::path log_file;     // stdout+stderr, appended; required
  std::filesystem::path pid_file;     // written after spawn when not empty; removed by stop()
  std::filesystem::path working_dir;  // chdir before exec when not empty
  std::string run_as_user;            // setgroups/setgid/setuid to this user when not empty
  int stop_signal = SIGTERM;          // the graceful stop signal for this program
  // How long the destructor's stop() waits after stop_signal before SIGKILL;
  // 0: SIGKILL at once.
  std::chrono::milliseconds stop_grace = kDefaultStopGrace;
  // SIGKILL the process when the spawning *thread* dies (PR_SET_PDEATHSIG).
  bool kill_with_parent = true;
  // Close every inherited descriptor above stderr in the child (a caller's
  // pipe would otherwise stay open for as long as the child runs).
  bool close_inherited_fds = true;
};

class ChildProcess {
 public:
  [[nodiscard]] static Result<ChildProcess> spawn(Spec spec);

  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] int pidfd() const { return pidfd_; }
  [[nodiscard]] const Spec& spec() const { return spec_; }

  // True while the process runs; reaps it (recording its status) once it has
  // exited. False for a default-constructed object.
  [[nodiscard]] bool running();
  // Waits up to `timeout` for the process to exit (and reaps it); true when it
  // has exited.
  [[nodiscard]] bool wait_for(std::chrono::milliseconds timeout);

  // Sends spec.stop_signal (unless grace is 0), waits up to `grace`, then
  // SIGKILLs the process group and reaps the process; removes the pid file.
  // Idempotent. True when the process ended within the grace (or had ended).
  bool stop(std::chrono::milliseconds grace);
  bool stop() { return stop(spec_.stop_grace); }
  // SIGKILL to the process group now, and reap: stop(0).
  void kill() { (void)stop(std::chrono::milliseconds(0)); }
  // SIGKILL through the pidfd without reaping: safe from any thread while the
  // owner is blocked, and never hits a recycled pid.
  void signal_kill() const;

  // The raw wait status once the process has been reaped by us.
  [[nodiscard]] std::optional<int> wait_status() const { return status_; }
  // True once it has exited with status 0.
  [[nodiscard]] bool exited_successfully() const;
  // "still running", "exited with status N", "killed by signal N" or "exited".
  [[nodiscard]] std::string describe_exit() const;

  // The destructor no longer stops the process (spawn it with
  // kill_with_parent = false too, for a process that outlives this one).
  void detach() { detached_ = true; }
  [[nodiscard]] bool detached() const { return detached_; }

 private:
  void reap_if_exited(bool block);
  // Exited (a zombie counts), without reaping: the process group id stays ours.
  [[nodiscard]] bool ended_unreaped() const;
  [[nodiscard]] bool ended() const { return status_.has_value() || gone_elsewhere_; }

  Spec spec_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool detached_ = false;
  std::optional<int> status_;
  bool gone_elsewhere_ = false;  // not our child (ECHILD), and gone
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

// The end of a log file, for error messages: at most `max_lines` lines (0: no
// line limit) of its last `max_bytes` bytes. Empty when the file is missing.
[[nodiscard]] std::string log_tail(const std::filesystem::path& file, int max_lines = 30,
                                   std::size_t max_bytes = 64 * 1024);

// The first executable among `candidates`: a name with a '/' is checked as
// given, a bare name is looked up in $PATH, then /usr/sbin, /usr/bin,
// /usr/local/bin and /usr/local/sbin. kNotFound lists what was tried.
[[nodiscard]] Result<std::string> find_program(const std::vector<std::string>& candidates);

}  // namespace aether::process
