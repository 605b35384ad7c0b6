// URL parsing and masking for connection strings (DATABASE_URL, NATS_URL, REDIS_URL).
//
// Only the shape connection URLs use: scheme://[user[:password]@]host[:port][/path][?query].
// Hosts may be bracketed IPv6 literals ("[::1]"). Percent-escapes are kept as written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aether/config/error.hpp"

namespace aether::config {

struct Url {
  std::string scheme;  // lower-cased
  std::string user;
  std::optional<std::string> password;
  std::string host;  // without IPv6 brackets
  std::optional<std::uint16_t> port;
  std::string path;   // with leading '/', or empty
  std::string query;  // without '?', or empty
};

// Errors name the rule that failed, e.g. "port must be between 1 and 65535".
[[nodiscard]] Result<Url> parse_url(std::string_view text);

// Problem with `text` as a URL whose scheme is one of `schemes` (any scheme when empty),
// or nullopt when it is fine.
[[nodiscard]] std::optional<std::string> url_problem(std::string_view text,
                                                     const std::vector<std::string>& schemes);
// The same for a comma-separated list of URLs (e.g. NATS_URL naming a cluster's
// servers, which libs/bus takes as a server pool): the first bad item is named.
[[nodiscard]] std::optional<std::string> url_list_problem(std::string_view text,
                                                          const std::vector<std::string>& schemes);

// The text to show for a secret: a URL keeps everything but its password (and
// password/token/secret query values), which become "***"; anything else is "***".
[[nodiscard]] std::string mask_secret(std::string_view text);

}  // namespace aether::config
