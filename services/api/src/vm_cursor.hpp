// The opaque `cursor` of GET /v1/vms: the (created_at, id) of the last VM of
// a page, base64url-encoded ("v1|<RFC 3339 µs>|<uuid>"), so the next page
// continues the keyset exactly where the last one stopped (the order of
// vms_tenant_created_idx), however many rows arrive meanwhile.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aether::api {

struct VmCursor {
  std::string created_at;  // RFC 3339 with microseconds, as the store prints it
  std::string id;          // uuid
};

[[nodiscard]] std::string encode_cursor(const VmCursor& cursor);
// nullopt for anything encode_cursor did not produce (the store answers kInvalid "cursor").
[[nodiscard]] std::optional<VmCursor> decode_cursor(std::string_view text);

}  // namespace aether::api
