// The API key format (schema 0001): "ak_" + 12 hex digits (the public
// prefix, unique, shown in listings and used to find the row) + "_" + 43
// base62 characters (256 random bits, the secret part). Only the key's
// sha256 is stored; comparing it is constant-time.
//
//   ak_3f9c2b1e07d4_Xb7...   prefix = "ak_3f9c2b1e07d4"
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aether::api {

inline constexpr std::size_t kKeyPrefixLength = 15;  // "ak_" + 12 hex
inline constexpr std::size_t kKeySecretLength = 43;  // base62, >= 256 bits
inline constexpr std::size_t kKeyLength = kKeyPrefixLength + 1 + kKeySecretLength;

struct GeneratedKey {
  std::string key;     // shown to the caller once, never stored
  std::string prefix;  // stored, public
  std::string sha256;  // stored, lowercase hex
};

[[nodiscard]] GeneratedKey generate_api_key();

// The prefix of a well-formed key; nullopt when the text cannot be a key
// (wrong length, wrong characters), so it never reaches the database.
[[nodiscard]] std::optional<std::string> key_prefix(std::string_view key);

// Equal-length hex digests compared without an early exit.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace aether::api
