#include "aether/config/url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace aether::config {
namespace {

Error url_error(std::string message) { return Error{Errc::kInvalidUrl, std::move(message), {}}; }

bool valid_scheme(std::string_view s) {
  if (s.empty() || std::isalpha(static_cast<unsigned char>(s[0])) == 0) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Query keys whose values are credentials (libpq "password", tokens in NATS/Redis URLs).
bool secret_query_key(std::string_view key) {
  const std::string k = lower(key);
  for (const char* word : {"password", "pass", "token", "secret"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string mask_query(std::string_view query) {
  std::string out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    if (!out.empty() || start > 0) out += '&';
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && secret_query_key(pair.substr(0, eq))) {
      out.append(pair.substr(0, eq + 1)).append("***");
    } else {
      out.append(pair);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

Result<Url> parse_url(std::string_view text) {
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; })) {
    return std::unexpected(url_error("contains whitespace"));
  }
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos || !valid_scheme(text.substr(0, sep))) {
    return std::unexpected(url_error("expected scheme://host[:port][/path]"));
  }
  Url url;
  url.scheme = lower(text.substr(0, sep));
  std::string_view rest = text.substr(sep + 3);

  const std::size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail = auth_end == std::string_view::npos ? "" : rest.substr(auth_end);
  if (const std::size_t hash = tail.find('#'); hash != std::string_view::npos) {
    tail = tail.substr(0, hash);
  }
  if (const std::size_t q = tail.find('?'); q != std::string_view::npos) {
    url.query = std::string(tail.substr(q + 1));
    tail = tail.substr(0, q);
  }
  url.path = std::string(tail);

  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (const std::size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      url.user = std::string(userinfo.substr(0, colon));
      url.password = std::string(userinfo.substr(colon + 1));
    } else {
      url.user = std::string(userinfo);
    }
  }

  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::unexpected(url_error("IPv6 host is missing its closing ']'"));
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::unexpected(url_error("unexpected text after ']'"));
      port_text = after.substr(1);
      has_port = true;
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    url.host = std::string(authority.substr(0, colon));
    port_text = authority.substr(colon + 1);
    has_port = true;
  } else {
    url.host = std::string(authority);
  }
  if (url.host.empty()) return std::unexpected(url_error("host is empty"));
  if (has_port) {
    unsigned value = 0;
    const auto* end = port_text.data() + port_text.size();
    auto [ptr, ec] = std::from_chars(port_text.data(), end, value);
    if (port_text.empty() || ec != std::errc{} || ptr != end || value < 1 || value > 65535) {
      return std::unexpected(
          url_error("port \"" + std::string(port_text) + "\" must be a number from 1 to 65535"));
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

std::optional<std::string> url_problem(std::string_view text,
                                       const std::vector<std::string>& schemes) {
  auto url = parse_url(text);
  if (!url) return "is not a URL: " + url.error().message;
  if (schemes.empty()) return std::nullopt;
  if (std::find(schemes.begin(), schemes.end(), url->scheme) != schemes.end()) return std::nullopt;
  std::string allowed;
  for (const auto& s : schemes) allowed += (allowed.empty() ? "" : ", ") + s;
  return "scheme \"" + url->scheme + "\" is not one of " + allowed;
}

std::optional<std::string> url_list_problem(std::string_view text,
                                            const std::vector<std::string>& schemes) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    const auto item = text.substr(start, end - start);
    if (auto p = url_problem(item, schemes)) return "'" + std::string(item) + "': " + *p;
    start = end + 1;
  }
  return std::nullopt;
}

std::string mask_secret(std::string_view text) {
  if (text.empty()) return {};
  auto url = parse_url(text);
  if (!url) return "***";
  std::string out = url->scheme + "://";
  if (!url->user.empty() || url->password) {
    out += url->user;
    if (url->password) out += ":***";
    out += '@';
  }
  out += url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  if (url->port) out += ":" + std::to_string(*url->port);
  out += url->path;
  if (!url->query.empty()) out += "?" + mask_query(url->query);
  return out;
}

}  // namespace aether::config
