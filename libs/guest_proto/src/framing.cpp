#include "aether/guest_proto/framing.hpp"

#include <string>

namespace aether::guest_proto {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::kOversized:
      return "oversized";
    case Errc::kMalformed:
      return "malformed";
    case Errc::kTimeout:
      return "timeout";
    case Errc::kClosed:
      return "closed";
    case Errc::kIo:
      return "io";
  }
  return "unknown";
}

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

void FrameDecoder::feed(std::string_view bytes) {
  if (failed()) return;
  // Compact before growing so a long-lived channel does not keep every byte.
  if (consumed_ > 0 && consumed_ >= buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

Result<std::optional<v1::GuestFrame>> FrameDecoder::next() {
  if (failure_) return std::unexpected(*failure_);
  if (buffered() < kHeaderSize) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
  const std::uint32_t length = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                               (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  if (length == 0) {
    failure_ = Error{Errc::kMalformed, "frame length is 0 (an empty frame carries no body)"};
    return std::unexpected(*failure_);
  }
  if (length > max_frame_) {
    failure_ = Error{Errc::kOversized, "frame length " + std::to_string(length) +
                                           " is above the limit of " + std::to_string(max_frame_) +
                                           " bytes"};
    return std::unexpected(*failure_);
  }
  if (buffered() < kHeaderSize + length) return std::nullopt;
  v1::GuestFrame frame;
  if (!frame.ParseFromArray(p + kHeaderSize, static_cast<int>(length))) {
    failure_ = Error{Errc::kMalformed,
                     std::to_string(length) + " bytes after a frame header are not a GuestFrame"};
    return std::unexpected(*failure_);
  }
  consumed_ += kHeaderSize + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return frame;
}

}  // namespace aether::guest_proto
