// ChildProcess after spawn: watching, stopping, reaping.
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cerrno>
#include <thread>
#include <utility>

#include "aether/process/process.hpp"

namespace aether::process {
namespace {

using Clock = std::chrono::steady_clock;

// Waits up to `bound` for `done`, woken by the pidfd when there is one.
template <class Done>
bool wait_until(int pidfd, std::chrono::milliseconds bound, Done done) {
  const auto deadline = Clock::now() + bound;
  while (!done()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    if (pidfd >= 0) {
      pollfd pfd{pidfd, POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1000)));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<long long>(left, 20)));
    }
  }
  return true;
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !detached_) (void)stop();
  if (pidfd_ >= 0) ::close(pidfd_);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : spec_(std::move(other.spec_)),
      pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      detached_(other.detached_),
      status_(other.status_),
      gone_elsewhere_(other.gone_elsewhere_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !detached_) (void)stop();
    if (pidfd_ >= 0) ::close(pidfd_);
    spec_ = std::move(other.spec_);
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::exchange(other.pidfd_, -1);
    detached_ = other.detached_;
    status_ = other.status_;
    gone_elsewhere_ = other.gone_elsewhere_;
  }
  return *this;
}

void ChildProcess::reap_if_exited(bool block) {
  if (pid_ <= 0 || ended()) return;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = status;
  } else if (r < 0 && errno == ECHILD && !pid_alive(pid_)) {
    gone_elsewhere_ = true;  // not our child (e.g. inherited across exec); gone all the same
  }
}

bool ChildProcess::ended_unreaped() const {
  if (ended()) return true;
  siginfo_t info{};
  if (::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) < 0) return !pid_alive(pid_);
  return info.si_pid == pid_;
}

bool ChildProcess::running() {
  reap_if_exited(false);
  return pid_ > 0 && !ended();
}

bool ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return true;
  return wait_until(pidfd_, timeout, [this] { return !running(); });
}

bool ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return true;
  bool ended_in_grace = ended_unreaped();
  if (!ended()) {
    if (!ended_in_grace && grace.count() > 0) {
      // Ask nicely, then wait for the exit without reaping (WNOWAIT) so the
      // process group id stays ours until the stragglers are killed too.
      ::kill(pid_, spec_.stop_signal);
      ended_in_grace = wait_until(pidfd_, grace, [this] { return ended_unreaped(); });
      if (!ended_in_grace) {
        spdlog::warn("process: {} (pid {}) ignored signal {} for {} ms; killing it",
                     spec_.argv.empty() ? "?" : spec_.argv.front(), pid_, spec_.stop_signal,
                     grace.count());
      }
    }
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    reap_if_exited(true);
  }
  if (!spec_.pid_file.empty()) {
    std::error_code ignored;
    std::filesystem::remove(spec_.pid_file, ignored);
  }
  return ended_in_grace;
}

void ChildProcess::signal_kill() const {
  if (pidfd_ >= 0) ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
}

bool ChildProcess::exited_successfully() const {
  return status_ && WIFEXITED(*status_) && WEXITSTATUS(*status_) == 0;
}

std::string ChildProcess::describe_exit() const {
  if (gone_elsewhere_) return "exited";
  if (!status_) return "still running";
  if (WIFEXITED(*status_)) return "exited with status " + std::to_string(WEXITSTATUS(*status_));
  if (WIFSIGNALED(*status_)) return "killed by signal " + std::to_string(WTERMSIG(*status_));
  return "ended (status " + std::to_string(*status_) + ")";
}

}  // namespace aether::process
