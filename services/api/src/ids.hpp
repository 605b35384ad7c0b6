// Random identifiers: UUIDv7 for VMs (sortable by creation time, so the
// vms index stays append-mostly), UUIDv4 for API key ids, and random bytes
// from the kernel (getrandom) for key secrets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace aether::api {

// 8-4-4-4-12 lowercase hex; v7: 48-bit Unix ms timestamp, then random.
[[nodiscard]] std::string new_uuid_v7();
[[nodiscard]] std::string new_uuid_v4();
// True for the canonical 36-character form (any version), any hex case.
[[nodiscard]] bool is_uuid(std::string_view text);
// `n` bytes from getrandom(2) (blocks only before the kernel's pool is ready).
[[nodiscard]] std::string random_bytes(std::size_t n);
[[nodiscard]] std::string to_hex(std::string_view bytes);

}  // namespace aether::api
