#include "aether/guest_proto/framing.hpp"

#include <string>

namespace aether::guest_proto {

Result<std::string> encode(const v1::GuestFrame& frame, std::size_t max_frame) {
  const std::size_t size = frame.ByteSizeLong();
  if (size > max_frame) {
    return std::unexpected(Error{Errc::kOversized, "frame of " + std::to_string(size) +
                                                       " bytes is above the limit of " +
                                                       std::to_string(max_frame) + " bytes"});
  }
  std::string out(kHeaderSize + size, '\0');
  out[0] = static_cast<char>((size >> 24) & 0xff);
  out[1] = static_cast<char>((size >> 16) & 0xff);
  out[2] = static_cast<char>((size >> 8) & 0xff);
  out[3] = static_cast<char>(size & 0xff);
  if (!frame.SerializeToArray(out.data() + kHeaderSize, static_cast<int>(size))) {
    return std::unexpected(Error{Errc::kMalformed, "frame did not serialize"});
  }
  return out;
}

Result<std::optional<v1::GuestFrame>> next_frame(FrameDecoder& decoder) {
  v1::GuestFrame frame;
  switch (decoder.next_into(frame)) {
    case FrameDecoder::Status::kFrame:
      return frame;
    case FrameDecoder::Status::kNeedMore:
      return std::nullopt;
    case FrameDecoder::Status::kFailed:
      break;
  }
  return std::unexpected(decoder.error());
}

}  // namespace aether::guest_proto
