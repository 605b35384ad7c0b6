#include "pg_error.hpp"

#include <charconv>
#include <string_view>

#include "aether/schema/pg.hpp"

namespace aether::migrate {

std::string describe_pg_error(PGconn* conn, const PGresult* res) {
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (primary == nullptr) {
    std::string text = schema::one_line(conn != nullptr ? PQerrorMessage(conn) : "");
    return text.empty() ? "unknown error (no message from libpq)" : text;
  }
  std::string out = schema::one_line(primary);
  std::string extra;
  if (const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) {
    extra += "SQLSTATE " + std::string(state);
  }
  if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)) {
    extra += "; detail: " + schema::one_line(detail);
  }
  if (const char* hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT)) {
    extra += "; hint: " + schema::one_line(hint);
  }
  if (!extra.empty()) out += " (" + extra + ")";
  return out;
}

std::optional<std::size_t> pg_error_position(const PGresult* res) {
  const char* pos = res != nullptr ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : nullptr;
  if (pos == nullptr) return std::nullopt;
  std::size_t value = 0;
  std::string_view s(pos);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || value == 0) return std::nullopt;
  return value;
}

}  // namespace aether::migrate
