#include "vm_cursor.hpp"

#include <array>

#include "ids.hpp"

namespace aether::api {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> unbase64url(std::string_view in) {
  std::array<int, 256> rev{};
  rev.fill(-1);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    rev[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  }
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = rev[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// YYYY-MM-DDTHH:MM:SS.ffffffZ, digits where digits belong.
bool looks_like_time(std::string_view t) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  if (t.size() != kShape.size()) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (kShape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != kShape[i]) return false;
  }
  return true;
}

}  // namespace

std::string encode_cursor(const VmCursor& c) {
  return base64url("v1|" + c.created_at + "|" + c.id);
}

std::optional<VmCursor> decode_cursor(std::string_view text) {
  if (text.empty() || text.size() > 200) return std::nullopt;
  auto raw = unbase64url(text);
  if (!raw || !raw->starts_with("v1|")) return std::nullopt;
  std::string_view rest(*raw);
  rest.remove_prefix(3);
  const auto bar = rest.find('|');
  if (bar == std::string_view::npos) return std::nullopt;
  VmCursor c{std::string(rest.substr(0, bar)), std::string(rest.substr(bar + 1))};
  if (!looks_like_time(c.created_at) || !is_uuid(c.id)) return std::nullopt;
  return c;
}

}  // namespace aether::api
