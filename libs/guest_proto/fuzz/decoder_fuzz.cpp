// libFuzzer entry point: arbitrary bytes, fed in arbitrary splits, must never
// crash the decoder, and a decoded frame must re-encode within the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "aether/guest_proto/framing.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the split size so partial reads get exercised.
  const std::size_t step = 1 + data[0] % 64;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  aether::guest_proto::FrameDecoder decoder(64 * 1024);
  while (!rest.empty()) {
    const auto piece = rest.substr(0, step);
    rest.remove_prefix(piece.size());
    decoder.feed(piece);
    for (int i = 0; i < 1024; ++i) {
      auto frame = decoder.next();
      if (!frame) return 0;  // a rejected stream is a correct outcome
      if (!frame->has_value()) break;
      if (!aether::guest_proto::encode(**frame, 1u << 30)) std::abort();
    }
  }
  return 0;
}
