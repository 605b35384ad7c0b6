// A VMM process: spawned with its stdout/stderr in a log file, watched through
// a pidfd, killed and reaped on destruction. Owned by one Vm; the Vm's mutex
// guards it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "aether/vmm/errors.hpp"

namespace aether::vmm {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // argv[0] is the executable path. Output (stdout+stderr) goes to log.
  [[nodiscard]] static Result<ChildProcess> spawn(const std::vector<std::string>& argv,
                                                  const std::filesystem::path& log);

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] int pidfd() const { return pidfd_; }
  // Reaps without blocking; true once the process has exited.
  [[nodiscard]] bool exited();
  // Waits for exit up to timeout; true when it exited.
  [[nodiscard]] bool wait_for(std::chrono::milliseconds timeout);
  void kill();  // SIGKILL and reap
  // SIGKILL through the pidfd without reaping: safe from any thread while the
  // owner is blocked, and never hits a recycled pid.
  void signal_kill() const;
  [[nodiscard]] std::optional<int> wait_status() const { return status_; }
  [[nodiscard]] std::string describe_exit() const;

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> status_;
};

// The last max_bytes of a file (for error messages quoting a VMM's log).
[[nodiscard]] std::string tail_of(const std::filesystem::path& path, std::size_t max_bytes = 2000);

}  // namespace aether::vmm
