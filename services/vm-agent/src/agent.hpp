// The guest agent's request loop: reads GuestFrames from the host channel and
// serves ping, exec (several at once), file put/get and shutdown. It never
// exits on a bad frame: it answers with an ErrorReply and goes on, unless the
// stream itself is broken (then serve() returns so the caller can reopen the
// channel).
//
// Lifecycle: construct with an open channel fd (not owned), call serve() once.
// Single-threaded: everything runs on the thread that calls serve().
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "aether/guest_proto/framing.hpp"
#include "exec_session.hpp"
#include "file_transfer.hpp"

namespace aether::vm_agent {

struct AgentOptions {
  bool pid1 = false;  // reap every orphan; power off on Shutdown
  std::string version = "dev";
  std::string mode =
      "normal";  // "normal" | "garbage" | "oversized" | "silent" | "truncated" (hostile tests)
  std::size_t max_file_bytes = 256u << 20;
  std::size_t max_frame = guest_proto::kDefaultMaxFrame;
  // When set (a mounted root filesystem, e.g. /rootfs), commands run chrooted
  // into it and file paths are inside it.
  std::string exec_root;
  // The container image's env, workdir and user (exec_root/.aether/image.conf).
  std::optional<ImageDefaults> image_defaults;
};

enum class ServeEnd {
  kShutdown,       // the host asked to power off
  kChannelClosed,  // the host went away: reopen and serve again
  kChannelBroken,  // garbage or an oversized frame: drop the channel
};

class Agent {
 public:
  Agent(int channel_fd, AgentOptions options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Sends Hello (per options.mode), then serves until shutdown or the channel ends.
  [[nodiscard]] ServeEnd serve();

 private:
  void handle(const v1::GuestFrame& frame);
  [[nodiscard]] v1::GuestFrame hello_frame(std::uint64_t id) const;
  void log_line(const std::string& line) const;
  void handle_exec(std::uint64_t id, const v1::ExecRequest& request);
  void handle_kill(std::uint64_t id, const v1::ExecKill& kill);
  void send(const v1::GuestFrame& frame);
  void send_error(std::uint64_t id, int code, const std::string& message);
  void pump_sessions(const std::vector<int>& ready_fds);
  void reap_children();
  [[nodiscard]] ServeEnd serve_hostile();

  int fd_;
  AgentOptions options_;
  std::map<std::uint64_t, std::unique_ptr<ExecSession>> sessions_;  // by frame id
  FileTransfers files_;
  bool shutdown_requested_ = false;
  bool send_failed_ = false;
};

}  // namespace aether::vm_agent
