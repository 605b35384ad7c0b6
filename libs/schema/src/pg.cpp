#include "aether/schema/pg.hpp"

#include <array>
#include <string>

namespace aether::schema {
namespace {

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

Errc classify_connect_failure(std::string_view msg) {
  // libpq offers no SQLSTATE for a failed connection, so the server's (or
  // libpq's own) text is all there is; these phrases are stable across PG
  // 12-16 with lc_messages=C, which is what servers in containers run with.
  if (contains(msg, "password authentication failed") || contains(msg, "no password supplied") ||
      contains(msg, "no pg_hba.conf entry") || contains(msg, "authentication failed") ||
      (contains(msg, "role \"") && contains(msg, "does not exist"))) {
    return Errc::kAuthFailed;
  }
  if (contains(msg, "database \"") && contains(msg, "does not exist")) return Errc::kNoDatabase;
  if (contains(msg, "invalid URI") || contains(msg, "invalid connection option") ||
      contains(msg, "missing \"=\"") || contains(msg, "invalid integer value") ||
      contains(msg, "unterminated quoted string") || contains(msg, "invalid percent-encoded")) {
    return Errc::kBadUrl;
  }
  static constexpr std::array<std::string_view, 8> kUnreachable = {
      "Connection refused",
      "timeout expired",
      "could not translate host name",
      "No route to host",
      "Network is unreachable",
      "Connection timed out",
      "No such file or directory",
      "server closed the connection unexpectedly"};
  for (auto phrase : kUnreachable) {
    if (contains(msg, phrase)) return Errc::kUnreachable;
  }
  return Errc::kConnectFailed;
}

std::string mask_url(std::string_view url) {
  std::string out(url);
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    auto authority_end = out.find_first_of("/?", scheme + 3);
    auto at = out.rfind('@', authority_end == std::string::npos ? out.size() : authority_end);
    if (at != std::string::npos && at > scheme) {
      auto colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "****");
    }
  }
  // key=value form or ?password= query parameter.
  for (std::string_view key : {"password=", "password ="}) {
    auto pos = out.find(key);
    if (pos == std::string::npos) continue;
    auto start = pos + key.size();
    auto end = out.find_first_of(" &", start);
    out.replace(start, (end == std::string::npos ? out.size() : end) - start, "****");
  }
  return out;
}

Result<PgConn> connect(std::string_view url, const ConnectOptions& options) {
  std::string timeout = std::to_string(options.connect_timeout.count());
  std::string dbname(url);
  // Order matters: keywords after "dbname" override what the URL says, those
  // before it are defaults the URL may override. The application_name is ours
  // so a lock holder can be identified; the URL may set its own timeout.
  std::array<const char*, 4> keys = {"connect_timeout", "dbname", "application_name", nullptr};
  std::array<const char*, 4> values = {timeout.c_str(), dbname.c_str(),
                                       options.application_name.c_str(), nullptr};
  PgConn conn(PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1));
  if (!conn) return std::unexpected(Error{Errc::kConnectFailed, "out of memory creating PGconn"});
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string text = one_line(PQerrorMessage(conn.get()));
    Errc code = classify_connect_failure(text);
    std::string what;
    switch (code) {
      case Errc::kUnreachable:
        what = "database unreachable";
        break;
      case Errc::kAuthFailed:
        what = "database rejected the credentials";
        break;
      case Errc::kNoDatabase:
        what = "database does not exist";
        break;
      case Errc::kBadUrl:
        what = "DATABASE_URL is not a valid connection string";
        break;
      default:
        what = "cannot connect to the database";
        break;
    }
    return std::unexpected(Error{code, what + " (" + mask_url(url) + "): " + text});
  }
  return conn;
}

}  // namespace aether::schema
