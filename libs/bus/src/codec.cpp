#include "aether/bus/codec.hpp"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace aether::bus {
namespace {

std::string normalized_mime(std::string_view raw) {
  auto semi = raw.find(';');
  if (semi != std::string_view::npos) raw = raw.substr(0, semi);
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front())))
    raw.remove_prefix(1);
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
  std::string out(raw);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string_view mime(ContentType type) {
  return type == ContentType::kJson ? kJsonMime : kProtobufMime;
}

Result<ContentType> parse_content_type(const std::optional<std::string>& value) {
  if (!value) return ContentType::kProtobuf;
  std::string m = normalized_mime(*value);
  if (m == kProtobufMime || m == "application/x-protobuf") return ContentType::kProtobuf;
  if (m == kJsonMime) return ContentType::kJson;
  return fail(Errc::kUnsupportedContent,
              "Content-Type '" + *value +
                  "' is not supported: use application/protobuf or application/json");
}

Result<std::string> encode(const google::protobuf::Message& message, ContentType type) {
  std::string out;
  if (type == ContentType::kJson) {
    google::protobuf::util::JsonPrintOptions options;
    auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
    if (!status.ok()) {
      return fail(Errc::kEncode, "encoding " + message.GetTypeName() +
                                     " as JSON: " + std::string(status.message()));
    }
    return out;
  }
  if (!message.SerializeToString(&out)) {
    return fail(Errc::kEncode, "encoding " + message.GetTypeName() + " as protobuf failed");
  }
  return out;
}

Result<void> decode(std::string_view payload, ContentType type, google::protobuf::Message& out) {
  out.Clear();
  if (type == ContentType::kJson) {
    // Unknown fields are rejected: a misspelt field in hand-written JSON must
    // not silently become a default value.
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::stringpiece_internal::StringPiece(payload.data(), payload.size()), &out,
        options);
    if (!status.ok()) {
      return fail(Errc::kDecode, "payload is not a valid JSON " + out.GetTypeName() + ": " +
                                     std::string(status.message()));
    }
    return {};
  }
  if (!out.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return fail(Errc::kDecode, "payload is not a valid protobuf " + out.GetTypeName() + " (" +
                                   std::to_string(payload.size()) +
                                   " bytes; malformed wire format)");
  }
  return {};
}

}  // namespace aether::bus
