// One running command inside the guest: its process group, its stdin/stdout/
// stderr pipes, its timeout and the span it records. The Agent polls the fds
// this session lists and calls back when they are ready.
//
// Lifecycle: start() forks and execs; the agent pumps it until done(), then
// takes the ExecReply from finish(). Owned and driven by the agent's thread.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aether/v1/guest.pb.h"
#include "image_defaults.hpp"
#include "span_recorder.hpp"

namespace aether::vm_agent {

using Clock = std::chrono::steady_clock;
using Emit = std::function<void(const v1::GuestFrame&)>;

class ExecSession {
 public:
  // Fails (with a message for an ErrorReply) when argv is empty, cwd is not
  // absolute, or the program cannot be executed. With `defaults` (the image
  // a template was made from), the command gets the image's env under the
  // request's, its workdir when the request names no cwd, and its user.
  [[nodiscard]] static std::expected<std::unique_ptr<ExecSession>, std::string> start(
      std::uint64_t frame_id, const v1::ExecRequest& request, const std::string& root = {},
      const ImageDefaults* defaults = nullptr);
  ~ExecSession();
  ExecSession(const ExecSession&) = delete;
  ExecSession& operator=(const ExecSession&) = delete;

  [[nodiscard]] std::vector<pollfd> poll_fds() const;
  void on_ready(const pollfd& ready, const Emit& emit);
  void on_tick(Clock::time_point now);
  [[nodiscard]] std::optional<Clock::time_point> next_deadline() const;

  void set_exit_status(int wait_status);
  void kill(int signal);

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::uint64_t exec_id() const { return exec_id_; }
  [[nodiscard]] std::uint64_t frame_id() const { return frame_id_; }
  [[nodiscard]] bool exited() const { return wait_status_.has_value(); }
  [[nodiscard]] bool done() const;
  [[nodiscard]] v1::ExecReply finish();

 private:
  ExecSession() = default;
  void read_stream(int& fd, v1::ExecOutputChunk::Stream stream, const Emit& emit);
  void write_stdin();
  void close_fd(int& fd);

  std::uint64_t frame_id_ = 0;
  std::uint64_t exec_id_ = 0;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string stdin_data_;
  std::size_t stdin_written_ = 0;
  std::uint64_t seq_ = 0;
  std::optional<int> wait_status_;
  bool timed_out_ = false;
  std::optional<Clock::time_point> timeout_at_;
  std::optional<Clock::time_point> drain_until_;  // after exit: how long to wait for pipe EOF
  Clock::time_point started_;
  SpanRecorder span_;
};

}  // namespace aether::vm_agent
