// Misbehaving agent modes for the host's hostile-guest tests, chosen on the
// kernel command line (aether.agent.mode=). The host picks the command line,
// so these modes give a guest no power it does not already have.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

#include "aether/guest_proto/channel.hpp"
#include "agent.hpp"

namespace aether::vm_agent {
namespace {

// Reads and drops everything until the host goes away, still reaping.
ServeEnd drain(int fd, bool pid1, std::size_t stop_after_frames_bytes = 0,
               bool* saw_bytes = nullptr) {
  std::array<char, 4096> buf{};
  std::size_t total = 0;
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    const int rc = ::poll(&pfd, 1, 500);
    if (pid1) {
      int status = 0;
      while (::waitpid(-1, &status, WNOHANG) > 0) {
      }
    }
    if (rc <= 0) continue;
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return ServeEnd::kChannelClosed;
    if (n > 0) total += static_cast<std::size_t>(n);
    if (stop_after_frames_bytes > 0 && total >= stop_after_frames_bytes) {
      if (saw_bytes != nullptr) *saw_bytes = true;
      return ServeEnd::kChannelClosed;
    }
  }
}

}  // namespace

ServeEnd Agent::serve_hostile() {
  const auto deadline = [] { return guest_proto::Clock::now() + std::chrono::seconds(10); };
  if (options_.mode == "silent") return drain(fd_, options_.pid1);
  if (options_.mode == "garbage") {
    // A plausible length followed by bytes that are no protobuf (wire type 7).
    std::string junk("\x00\x00\x00\x40", 4);
    junk.append(64, '\xff');
    for (int i = 0; i < 4; ++i) (void)guest_proto::write_all(fd_, junk, deadline());
    return drain(fd_, options_.pid1);
  }
  // Hello as usual, then the first request is answered with `reply` (raw
  // bytes, not a valid frame) and the channel is left open.
  auto answer_first_request = [&](const std::string& reply) {
    v1::GuestFrame hello;
    hello.mutable_hello()->set_agent_version(options_.version);
    hello.mutable_hello()->set_mode(options_.mode);
    (void)guest_proto::write_frame(fd_, hello, deadline());
    bool saw = false;
    (void)drain(fd_, options_.pid1, 1, &saw);
    if (saw) (void)guest_proto::write_all(fd_, reply, deadline());
    return drain(fd_, options_.pid1);
  };
  if (options_.mode == "oversized") {
    // A 2 GiB frame header and a little payload.
    std::string header("\x7f\xff\xff\xff", 4);
    header.append(1024, 'A');
    return answer_first_request(header);
  }
  if (options_.mode == "truncated") {
    // A frame announcing 256 bytes that brings 6 of them, then nothing more.
    return answer_first_request(
        std::string("\x00\x00\x01\x00\x0a\x03"
                    "abc",
                    9));
  }
  send_error(0, 400, "unknown agent mode '" + options_.mode + "'");
  options_.mode = "normal";
  return serve();
}

}  // namespace aether::vm_agent
