#include "base64.hpp"

#include <google/protobuf/stubs/strutil.h>

namespace aether::ctl {

std::string base64_encode(std::string_view data) {
  std::string out;
  google::protobuf::Base64Escape(reinterpret_cast<const unsigned char*>(data.data()),
                                 static_cast<int>(data.size()), &out, true);
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string out;
  if (!google::protobuf::Base64Unescape(google::protobuf::StringPiece(text.data(), text.size()),
                                        &out)) {
    return {};
  }
  return out;
}

}  // namespace aether::ctl
