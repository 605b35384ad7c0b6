// Length-prefixed protobuf framing for the host<->guest channel: each frame is
// a 4-byte big-endian length followed by one serialized aether.v1.GuestFrame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aether/guest_proto/errors.hpp"
#include "aether/guest_proto/frame_decoder.hpp"
#include "aether/v1/guest.pb.h"

namespace aether::guest_proto {

// Payload size used when splitting file contents and exec output into frames.
inline constexpr std::size_t kChunkSize = 256u << 10;

// Serializes one frame (header + payload). Fails with kOversized when the
// payload is above max_frame.
[[nodiscard]] Result<std::string> encode(const v1::GuestFrame& frame,
                                         std::size_t max_frame = kDefaultMaxFrame);

// The next complete frame from decoder, nullopt when more bytes are needed.
[[nodiscard]] Result<std::optional<v1::GuestFrame>> next_frame(FrameDecoder& decoder);

}  // namespace aether::guest_proto
