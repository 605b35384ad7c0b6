// Blocking frame I/O on a file descriptor (socket, virtio-serial port) with
// deadlines: nothing here waits longer than the caller allows.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

#include "aether/guest_proto/framing.hpp"

namespace aether::guest_proto {

using Clock = std::chrono::steady_clock;

// Writes all of bytes to fd (blocking or not) before the deadline.
[[nodiscard]] Result<void> write_all(int fd, std::string_view bytes, Clock::time_point deadline);
[[nodiscard]] Result<void> write_frame(int fd, const v1::GuestFrame& frame,
                                       Clock::time_point deadline,
                                       std::size_t max_frame = kDefaultMaxFrame);

// Reads frames from one fd. Does not own the fd. One thread at a time.
class FrameReader {
 public:
  explicit FrameReader(int fd, std::size_t max_frame = kDefaultMaxFrame)
      : fd_(fd), decoder_(max_frame) {}

  // The next frame, or kTimeout / kClosed / kOversized / kMalformed / kIo.
  [[nodiscard]] Result<v1::GuestFrame> read(Clock::time_point deadline);

 private:
  int fd_;
  FrameDecoder decoder_;
};

}  // namespace aether::guest_proto
