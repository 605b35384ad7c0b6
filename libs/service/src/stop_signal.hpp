// StopSignal: how run() learns it should stop: SIGTERM/SIGINT (through a signalfd)
// or a request from any thread (through an eventfd). Private to libs/service.
//
// Lifecycle: made with the Service (the eventfd); block_signals() on run()'s thread
// before any thread starts, then wait() there. Threads: request() and requested()
// from any thread; block_signals() and wait() from run()'s thread.
#pragma once

#include <mutex>
#include <optional>

namespace aether::service {

class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Blocks SIGTERM and SIGINT in the calling thread (threads started later inherit
  // it) and opens the signalfd wait() reads. False (errno kept) if that failed.
  [[nodiscard]] bool block_signals();

  // The first request wins; later ones only wake wait() again.
  void request(int exit_code);
  [[nodiscard]] bool requested() const;

  struct Stop {
    int signal = 0;     // the signal received, 0 for a request
    int exit_code = 0;  // 0 after a signal
  };
  // Blocks until a signal (if block_signals() was called) or a request.
  [[nodiscard]] Stop wait();
  // Waits at most `timeout` (-1: forever); true once a stop was signalled or requested.
  [[nodiscard]] bool wait_for(int timeout_ms);

 private:
  void record(int signal, int exit_code);

  int event_fd_ = -1;
  int signal_fd_ = -1;
  mutable std::mutex mutex_;  // guards exit_code_ and signal_
  std::optional<int> exit_code_;
  int signal_ = 0;
};

}  // namespace aether::service
