// Typed protobuf payloads on the bus: the Content-Type header chooses the
// wire form, application/protobuf (default when absent) or application/json
// (proto3 JSON mapping). Pure functions; safe from any thread.
#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <string_view>

#include "aether/bus/errors.hpp"

namespace aether::bus {

enum class ContentType { kProtobuf, kJson };

inline constexpr std::string_view kProtobufMime = "application/protobuf";
inline constexpr std::string_view kJsonMime = "application/json";

[[nodiscard]] std::string_view mime(ContentType type);

// Maps a Content-Type header value to a ContentType. nullopt (header absent)
// means protobuf. Parameters (";charset=utf-8") and case are ignored;
// "application/x-protobuf" is accepted as protobuf. Anything else is
// kUnsupportedContent naming the value.
[[nodiscard]] Result<ContentType> parse_content_type(const std::optional<std::string>& value);

[[nodiscard]] Result<std::string> encode(const google::protobuf::Message& message,
                                         ContentType type);

// Replaces `out` with the decoded payload. A malformed payload is kDecode and
// the message names the type (e.g. aether.v1.CreateVm) and the parser's reason.
[[nodiscard]] Result<void> decode(std::string_view payload, ContentType type,
                                  google::protobuf::Message& out);

template <class T>
[[nodiscard]] Result<T> decode_as(std::string_view payload, ContentType type) {
  T out;
  if (auto r = decode(payload, type, out); !r) return std::unexpected(std::move(r.error()));
  return out;
}

}  // namespace aether::bus
