#include "aether/guest_proto/channel.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace aether::guest_proto {
namespace {

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 60'000 ? 60'000 : static_cast<int>(left);
}

// Waits for fd to become ready for events; false on timeout.
Result<bool> wait_ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd pfd{fd, events, 0};
    const int ms = remaining_ms(deadline);
    const int rc = ::poll(&pfd, 1, ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(Error{Errc::kIo, std::string("poll: ") + std::strerror(errno)});
    }
    if (rc > 0) return true;
    if (Clock::now() >= deadline) return false;
  }
}

}  // namespace

Result<void> write_all(int fd, std::string_view bytes, Clock::time_point deadline) {
  while (!bytes.empty()) {
    auto ready = wait_ready(fd, POLLOUT, deadline);
    if (!ready) return std::unexpected(ready.error());
    if (!*ready) return std::unexpected(Error{Errc::kTimeout, "timed out writing a frame"});
    // send() with MSG_NOSIGNAL so a closed peer is an error value, not SIGPIPE;
    // write() for what is not a socket (a virtio-serial port, a pipe).
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == EPIPE || errno == ECONNRESET) {
        return std::unexpected(Error{Errc::kClosed, "peer closed the channel while writing"});
      }
      return std::unexpected(Error{Errc::kIo, std::string("write: ") + std::strerror(errno)});
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> write_frame(int fd, const v1::GuestFrame& frame, Clock::time_point deadline,
                         std::size_t max_frame) {
  auto bytes = encode(frame, max_frame);
  if (!bytes) return std::unexpected(bytes.error());
  return write_all(fd, *bytes, deadline);
}

Result<v1::GuestFrame> FrameReader::read(Clock::time_point deadline) {
  std::array<char, 64 * 1024> buf{};
  for (;;) {
    auto frame = next_frame(decoder_);
    if (!frame) return std::unexpected(frame.error());
    if (frame->has_value()) return std::move(**frame);
    auto ready = wait_ready(fd_, POLLIN, deadline);
    if (!ready) return std::unexpected(ready.error());
    if (!*ready) return std::unexpected(Error{Errc::kTimeout, "timed out waiting for a frame"});
    const ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET)
        return std::unexpected(Error{Errc::kClosed, "peer reset the channel"});
      return std::unexpected(Error{Errc::kIo, std::string("read: ") + std::strerror(errno)});
    }
    if (n == 0) {
      return std::unexpected(Error{Errc::kClosed, decoder_.buffered() > 0
                                                      ? "peer closed the channel inside a frame"
                                                      : "peer closed the channel"});
    }
    decoder_.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
}

}  // namespace aether::guest_proto
