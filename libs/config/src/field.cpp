#include "aether/config/field.hpp"

#include <algorithm>
#include <cctype>

#include "aether/config/url.hpp"

namespace aether::config {
namespace {

// Values are shown unquoted unless quotes are needed to see them (empty, spaces, controls).
std::string quote_if_needed(std::string_view v) {
  const bool plain = !v.empty() && std::none_of(v.begin(), v.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0 || c == '"' ||
           static_cast<unsigned char>(c) < 0x20;
  });
  if (plain) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[(c >> 4) & 0xf];
      out += kHex[c & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string Field::default_text() const {
  return secret_ ? mask_secret(raw_default_text()) : raw_default_text();
}

std::string Field::value_text() const {
  return secret_ ? mask_secret(raw_value_text()) : raw_value_text();
}

std::string Field::shown(std::string_view raw) const {
  return quote_if_needed(secret_ ? mask_secret(raw) : std::string(raw));
}

std::vector<std::string> Field::load(const std::optional<std::string>& raw) {
  from_env_ = raw.has_value();
  if (raw) {
    if (auto problem = assign(*raw)) return {name_ + "=" + shown(*raw) + ": " + *problem};
  } else {
    assign_default();
  }
  std::vector<std::string> problems;
  const std::string prefix =
      name_ + "=" + shown(raw ? *raw : raw_value_text()) + (raw ? "" : " (default)") + ": ";
  for (auto& rule : broken_rules()) problems.push_back(prefix + rule);
  return problems;
}

}  // namespace aether::config
