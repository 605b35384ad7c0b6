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

void StopSignal::request(int exit_code) {
  {
    std::lock_guard lock(mutex_);
    if (!exit_code_) exit_code_ = exit_code;
  }
  const std::uint64_t one = 1;
  // A full counter (never, in practice) still leaves the fd readable: nothing to do.
  [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

bool StopSignal::requested() const {
  std::lock_guard lock(mutex_);
  return exit_code_.has_value();
}

StopSignal::Stop StopSignal::wait() {
  for (;;) {
    pollfd fds[2] = {{.fd = event_fd_, .events = POLLIN, .revents = 0},
                     {.fd = signal_fd_, .events = POLLIN, .revents = 0}};
    const int n = ::poll(fds, signal_fd_ >= 0 ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if ((fds[1].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      if (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        // A signal wins over a later request; record it so requested() says so.
        std::lock_guard lock(mutex_);
        if (!exit_code_) exit_code_ = 0;
        return Stop{.signal = static_cast<int>(info.ssi_signo), .exit_code = *exit_code_};
      }
    }
    if ((fds[0].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto r = ::read(event_fd_, &count, sizeof count);
      std::lock_guard lock(mutex_);
      if (exit_code_) return Stop{.signal = 0, .exit_code = *exit_code_};
    }
  }
}

}  // namespace aether::service
