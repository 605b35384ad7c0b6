// Base64 (RFC 4648, with padding) as proto3 JSON and the api carry bytes.
// Thin wrappers over protobuf's own codec (libprotobuf's strutil), so the
// CLI encodes exactly as the bus's JSON mapping does.
#pragma once

#include <string>
#include <string_view>

namespace aether::ctl {

[[nodiscard]] std::string base64_encode(std::string_view data);
// Invalid input decodes to an empty string.
[[nodiscard]] std::string base64_decode(std::string_view text);

}  // namespace aether::ctl
