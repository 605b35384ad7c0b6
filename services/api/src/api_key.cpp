#include "api_key.hpp"

#include <cctype>

#include "aether/digest/sha256.hpp"
#include "ids.hpp"

namespace aether::api {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_base62(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

}  // namespace

GeneratedKey generate_api_key() {
  GeneratedKey out;
  out.prefix = "ak_" + to_hex(random_bytes(6));
  std::string secret;
  // Rejection sampling keeps every character uniform (248 = 4 * 62).
  while (secret.size() < kKeySecretLength) {
    for (unsigned char c : random_bytes(64)) {
      if (c < 248 && secret.size() < kKeySecretLength) secret.push_back(kBase62[c % 62]);
    }
  }
  out.key = out.prefix + "_" + secret;
  out.sha256 = digest::sha256_hex(out.key);
  return out;
}

std::optional<std::string> key_prefix(std::string_view key) {
  if (key.size() != kKeyLength || !key.starts_with("ak_") || key[kKeyPrefixLength] != '_') {
    return std::nullopt;
  }
  for (std::size_t i = 3; i < kKeyPrefixLength; ++i) {
    if (!is_lower_hex(key[i])) return std::nullopt;
  }
  for (std::size_t i = kKeyPrefixLength + 1; i < key.size(); ++i) {
    if (!is_base62(key[i])) return std::nullopt;
  }
  return std::string(key.substr(0, kKeyPrefixLength));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace aether::api
