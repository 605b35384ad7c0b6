#include "stop_signal.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <stdexcept>
#include <system_error>

namespace aether::service {
namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

StopSignal::StopSignal() : event_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

StopSignal::~StopSignal() {
  if (signal_fd_ >= 0) ::close(signal_fd_);
  ::close(event_fd_);
}

bool StopSignal::block_signals() {
  if (signal_fd_ >= 0) return true;
  const sigset_t set = stop_signals();
  if (int rc = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    errno = rc;
    return false;
  }
  signal_fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  return signal_fd_ >= 0;
}

void StopSignal::record(int signal, int exit_code) {
  {
    std::lock_guard lock(mutex_);
    if (exit_code_) return;  // the first stop wins
    exit_code_ = exit_code;
    signal_ = signal;
  }
  const std::uint64_t one = 1;
  // A full counter (never, in practice) still leaves the fd readable: nothing to do.
  [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

void StopSignal::request(int exit_code) { record(0, exit_code); }

bool StopSignal::requested() const {
  std::lock_guard lock(mutex_);
  return exit_code_.has_value();
}

bool StopSignal::wait_for(int timeout_ms) {
  for (;;) {
    if (requested()) return true;
    pollfd fds[2] = {{.fd = event_fd_, .events = POLLIN, .revents = 0},
                     {.fd = signal_fd_, .events = POLLIN, .revents = 0}};
    const int n = ::poll(fds, signal_fd_ >= 0 ? 2 : 1, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if (n == 0) return requested();
    if ((fds[1].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      if (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        record(static_cast<int>(info.ssi_signo), 0);
      }
    }
    // The eventfd stays readable once written: requested() above answers from now on.
    if ((fds[0].revents & POLLIN) != 0) return requested();
  }
}

StopSignal::Stop StopSignal::wait() {
  while (!wait_for(-1)) {
  }
  std::lock_guard lock(mutex_);
  return Stop{.signal = signal_, .exit_code = *exit_code_};
}

}  // namespace aether::service
