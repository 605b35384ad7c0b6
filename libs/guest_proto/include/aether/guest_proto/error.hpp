// Error values of the host<->guest frame protocol (no <expected>, so the
// decoder also builds with compilers whose std::expected is unusable, e.g.
// clang 14 with libstdc++ 12, which the fuzz target needs).
#pragma once

#include <string>

namespace aether::guest_proto {

enum class Errc {
  kOversized,  // a frame's declared length is above the limit
  kMalformed,  // a frame's bytes are not a GuestFrame
  kTimeout,    // the deadline passed before a whole frame arrived or left
  kClosed,     // the peer closed the channel
  kIo,         // a system call failed
};

struct Error {
  Errc code;
  std::string message;
};

[[nodiscard]] const char* errc_name(Errc code);

}  // namespace aether::guest_proto
