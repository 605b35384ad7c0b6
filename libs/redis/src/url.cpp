#include "aether/redis/url.hpp"

#include <charconv>
#include <string>

#include "aether/config/url.hpp"

namespace aether::redis {

Result<Endpoint> parse_redis_url(std::string_view url) {
  auto bad = [](std::string message) {
    return make_error(Errc::kBadUrl, "REDIS_URL: " + std::move(message));
  };
  auto parsed = config::parse_url(url);
  if (!parsed) return bad(parsed.error().message);
  if (parsed->scheme == "rediss")
    return bad("rediss:// (TLS) is not supported: hiredis 0.14 has no TLS; use redis://");
  if (parsed->scheme != "redis")
    return bad("scheme must be redis://, got '" + parsed->scheme + "://'");
  if (parsed->host.empty()) return bad("host is missing");
  if (!parsed->query.empty())
    return bad("query parameters are not supported ('?" + parsed->query + "')");

  Endpoint ep;
  ep.host = parsed->host;
  if (parsed->port) ep.port = *parsed->port;
  ep.user = parsed->user;
  ep.password = parsed->password;
  if (!ep.user.empty() && !ep.password) return bad("user '" + ep.user + "' has no password");

  std::string_view path = parsed->path;
  if (path.starts_with('/')) path.remove_prefix(1);
  if (!path.empty()) {
    int db = -1;
    auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc{} || end != path.data() + path.size() || db < 0)
      return bad("database must be a number (redis://host:port/DB), got '" + std::string(path) +
                 "'");
    ep.db = db;
  }
  return ep;
}

}  // namespace aether::redis
