#include "agent.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <sys/utsname.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "aether/guest_proto/channel.hpp"
#include "restore_identity.hpp"

namespace aether::vm_agent {
namespace {

constexpr auto kSendTimeout = std::chrono::seconds(30);
// PID 1 also reaps orphans, whose deaths wake nothing we poll: sweep this often.
constexpr int kReapIntervalMs = 500;

std::uint64_t monotonic_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000 +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1'000'000;
}

}  // namespace

Agent::Agent(int channel_fd, AgentOptions options)
    : fd_(channel_fd),
      options_(std::move(options)),
      files_(options_.max_file_bytes, options_.exec_root) {}

Agent::~Agent() = default;

v1::GuestFrame Agent::hello_frame(std::uint64_t id) const {
  v1::GuestFrame hello;
  hello.set_id(id);
  auto* body = hello.mutable_hello();
  body->set_agent_version(options_.version);
  utsname uts{};
  if (::uname(&uts) == 0) body->set_kernel_release(uts.release);
  body->set_boot_ms(monotonic_ms());
  body->set_mode(options_.mode);
  return hello;
}

void Agent::log_line(const std::string& line) const {
  const std::string out = "aether-vm-agent: " + line + "\n";
  (void)!::write(2, out.data(), out.size());
}

void Agent::send(const v1::GuestFrame& frame) {
  if (send_failed_) return;
  if (!guest_proto::write_frame(fd_, frame, guest_proto::Clock::now() + kSendTimeout,
                                options_.max_frame)) {
    send_failed_ = true;
  }
}

void Agent::send_error(std::uint64_t id, int code, const std::string& message) {
  send(error_frame(id, code, message));
}

ServeEnd Agent::serve() {
  if (options_.mode != "normal") return serve_hostile();
  send(hello_frame(0));

  guest_proto::FrameDecoder decoder(options_.max_frame);
  std::array<char, 64 * 1024> buf{};
  while (!shutdown_requested_) {
    if (send_failed_) return ServeEnd::kChannelClosed;
    std::vector<pollfd> fds{{fd_, POLLIN, 0}};
    auto deadline = Clock::time_point::max();
    for (const auto& [id, session] : sessions_) {
      auto more = session->poll_fds();
      fds.insert(fds.end(), more.begin(), more.end());
      if (auto d = session->next_deadline()) deadline = std::min(deadline, *d);
    }
    int timeout_ms = options_.pid1 ? kReapIntervalMs : -1;
    if (deadline != Clock::time_point::max()) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      const int ms = static_cast<int>(std::clamp<long long>(left, 0, 60'000));
      timeout_ms = timeout_ms < 0 ? ms : std::min(timeout_ms, ms);
    }
    const int rc = ::poll(fds.data(), fds.size(), timeout_ms);
    if (rc < 0 && errno != EINTR) return ServeEnd::kChannelClosed;

    if (rc > 0 && fds[0].revents != 0) {
      const ssize_t n = ::read(fd_, buf.data(), buf.size());
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return ServeEnd::kChannelClosed;
      if (n > 0) decoder.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      for (;;) {
        auto frame = guest_proto::next_frame(decoder);
        if (!frame) {
          send_error(0, 400, "broken frame stream: " + frame.error().message);
          return ServeEnd::kChannelBroken;
        }
        if (!frame->has_value()) break;
        handle(**frame);
      }
    }
    if (rc > 0) {
      std::vector<int> ready;
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents != 0) ready.push_back(fds[i].fd);
      }
      pump_sessions(ready);
    }
    reap_children();
    const auto now = Clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it->second->on_tick(now);
      if (it->second->done()) {
        v1::GuestFrame reply;
        reply.set_id(it->first);
        *reply.mutable_exec_reply() = it->second->finish();
        send(reply);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return ServeEnd::kShutdown;
}

void Agent::pump_sessions(const std::vector<int>& ready_fds) {
  const Emit emit = [this](const v1::GuestFrame& f) { send(f); };
  for (int fd : ready_fds) {
    for (auto& [id, session] : sessions_) {
      for (const auto& p : session->poll_fds()) {
        if (p.fd == fd) {
          session->on_ready(p, emit);
          goto next_fd;
        }
      }
    }
  next_fd:;
  }
}

void Agent::reap_children() {
  if (options_.pid1) {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      for (auto& [id, session] : sessions_) {
        if (session->pid() == pid) session->set_exit_status(status);
      }
    }
    return;
  }
  for (auto& [id, session] : sessions_) {
    int status = 0;
    if (!session->exited() && ::waitpid(session->pid(), &status, WNOHANG) == session->pid()) {
      session->set_exit_status(status);
    }
  }
}

void Agent::handle(const v1::GuestFrame& frame) {
  const Emit emit = [this](const v1::GuestFrame& f) { send(f); };
  const std::uint64_t id = frame.id();
  switch (frame.body_case()) {
    case v1::GuestFrame::kPing: {
      v1::GuestFrame pong;
      pong.set_id(id);
      pong.mutable_pong()->set_nonce(frame.ping().nonce());
      send(pong);
      break;
    }
    case v1::GuestFrame::kExec:
      handle_exec(id, frame.exec());
      break;
    case v1::GuestFrame::kExecKill:
      handle_kill(id, frame.exec_kill());
      break;
    case v1::GuestFrame::kFilePut:
      files_.begin_put(id, frame.file_put(), emit);
      break;
    case v1::GuestFrame::kFileData:
      files_.data(id, frame.file_data(), emit);
      break;
    case v1::GuestFrame::kFileGet:
      files_.get(id, frame.file_get(), emit);
      break;
    case v1::GuestFrame::kShutdown: {
      v1::GuestFrame reply;
      reply.set_id(id);
      reply.mutable_shutdown_reply();
      send(reply);
      shutdown_requested_ = true;
      break;
    }
    case v1::GuestFrame::kRestored: {
      if (auto problem = restored_problem(frame.restored()); !problem.empty()) {
        send_error(id, 400, problem);
        break;
      }
      for (const auto& why : apply_restored(frame.restored(), options_.exec_root, options_.pid1)) {
        log_line("restored: " + why);
      }
      send(hello_frame(id));
      break;
    }
    case v1::GuestFrame::BODY_NOT_SET:
      send_error(id, 400, "frame has no body the agent knows (agent " + options_.version + ")");
      break;
    default:
      send_error(
          id, 400,
          "frame body " + std::to_string(frame.body_case()) + " is not a request the agent serves");
      break;
  }
}

void Agent::handle_exec(std::uint64_t id, const v1::ExecRequest& request) {
  if (sessions_.contains(id)) {
    send_error(id, 409, "exec: frame id " + std::to_string(id) + " is already running");
    return;
  }
  auto session = ExecSession::start(id, request, options_.exec_root,
                                    options_.image_defaults ? &*options_.image_defaults : nullptr);
  if (!session) {
    send_error(id, 400, session.error());
    return;
  }
  sessions_[id] = std::move(*session);
}

void Agent::handle_kill(std::uint64_t id, const v1::ExecKill& kill) {
  for (auto& [frame_id, session] : sessions_) {
    if (session->exec_id() == kill.exec_id()) {
      session->kill(kill.signal() == 0 ? SIGKILL : kill.signal());
      return;
    }
  }
  send_error(id, 404, "exec kill: no running exec with exec_id " + std::to_string(kill.exec_id()));
}

}  // namespace aether::vm_agent
