// Error values of aether::config.
#pragma once

#include <expected>
#include <string>
#include <vector>

namespace aether::config {

enum class Errc {
  kInvalidValue = 1,  // one or more variables failed to parse or broke a rule
  kInvalidUrl,        // parse_url() could not read the text as a URL
};

struct Error {
  Errc code;
  // Every problem, one per line, e.g. "AETHER_ADMIN_PORT=70000: must be between 0 and 65535".
  std::string message;
  // The same problems as separate entries (empty for single-problem errors).
  std::vector<std::string> problems;
};

template <class T>
using Result = std::expected<T, Error>;

}  // namespace aether::config
