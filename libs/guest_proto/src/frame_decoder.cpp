#include "aether/guest_proto/frame_decoder.hpp"

#include <cstdint>
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

void FrameDecoder::feed(std::string_view bytes) {
  if (failed()) return;
  // Compact before growing so a long-lived channel does not keep every byte.
  if (consumed_ > 0 && consumed_ >= buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

FrameDecoder::Status FrameDecoder::next_into(v1::GuestFrame& out) {
  if (failure_) return Status::kFailed;
  if (buffered() < kHeaderSize) return Status::kNeedMore;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
  const std::uint32_t length = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                               (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  if (length == 0) {
    failure_ = Error{Errc::kMalformed, "frame length is 0 (an empty frame carries no body)"};
    return Status::kFailed;
  }
  if (length > max_frame_) {
    failure_ = Error{Errc::kOversized, "frame length " + std::to_string(length) +
                                           " is above the limit of " + std::to_string(max_frame_) +
                                           " bytes"};
    return Status::kFailed;
  }
  if (buffered() < kHeaderSize + length) return Status::kNeedMore;
  if (!out.ParseFromArray(p + kHeaderSize, static_cast<int>(length))) {
    failure_ = Error{Errc::kMalformed,
                     std::to_string(length) + " bytes after a frame header are not a GuestFrame"};
    return Status::kFailed;
  }
  consumed_ += kHeaderSize + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return Status::kFrame;
}

}  // namespace aether::guest_proto
