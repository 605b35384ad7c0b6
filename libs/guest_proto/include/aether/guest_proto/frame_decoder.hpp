// Incremental decoder of the host<->guest frame stream (see framing.hpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "aether/guest_proto/error.hpp"
#include "aether/v1/guest.pb.h"

namespace aether::guest_proto {

inline constexpr std::size_t kHeaderSize = 4;
// Large enough for a 1 MiB file chunk or output chunk plus overhead, small
// enough that a hostile peer cannot make the other side allocate much.
inline constexpr std::size_t kDefaultMaxFrame = 4u << 20;

// Incremental decoder: feed() bytes as they arrive, then call next() until it
// yields nullopt. A declared length of 0 or above the limit, or a payload that
// does not parse, puts the decoder in a failed state for good: the stream can
// no longer be trusted to be in sync, so the channel must be dropped.
// Not thread-safe; owned by the one reader of a channel.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame = kDefaultMaxFrame) : max_frame_(max_frame) {}

  enum class Status { kFrame, kNeedMore, kFailed };

  void feed(std::string_view bytes);
  // kFrame: out holds the next frame; kNeedMore: wait for bytes; kFailed:
  // see error(). next_frame() (framing.hpp) wraps this as a Result.
  [[nodiscard]] Status next_into(v1::GuestFrame& out);
  [[nodiscard]] const Error& error() const { return *failure_; }

  [[nodiscard]] std::size_t buffered() const { return buffer_.size() - consumed_; }
  [[nodiscard]] bool failed() const { return failure_.has_value(); }

 private:
  std::size_t max_frame_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // bytes at the front of buffer_ already decoded
  std::optional<Error> failure_;
};

}  // namespace aether::guest_proto
