// libFuzzer entry point: arbitrary bytes, fed in arbitrary splits, must never
// crash the decoder, and a decoded frame must serialize again. Uses only
// frame_decoder.hpp (no std::expected, which clang 14 cannot use with
// libstdc++ 12).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aether/guest_proto/frame_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the split size so partial reads get exercised.
  const std::size_t step = 1 + data[0] % 64;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  aether::guest_proto::FrameDecoder decoder(64 * 1024);
  using Status = aether::guest_proto::FrameDecoder::Status;
  while (!rest.empty()) {
    const auto piece = rest.substr(0, step);
    rest.remove_prefix(piece.size());
    decoder.feed(piece);
    for (int i = 0; i < 1024; ++i) {
      aether::v1::GuestFrame frame;
      const Status status = decoder.next_into(frame);
      if (status == Status::kFailed) {
        if (decoder.error().message.empty()) std::abort();
        return 0;  // a rejected stream is a correct outcome
      }
      if (status == Status::kNeedMore) break;
      std::string again;
      if (!frame.SerializeToString(&again)) std::abort();
    }
  }
  return 0;
}
