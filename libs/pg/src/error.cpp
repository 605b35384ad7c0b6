#include "aether/pg/error.hpp"

#include "aether/schema/pg.hpp"

namespace aether::pg {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::kUnavailable:
      return "database unavailable";
    case Errc::kTimeout:
      return "database timeout";
    case Errc::kConflict:
      return "conflict";
    case Errc::kInvalid:
      return "constraint violated";
    case Errc::kBug:
      return "database error";
  }
  return "database error";
}

int http_status(Errc code) {
  switch (code) {
    case Errc::kUnavailable:
    case Errc::kTimeout:
      return 503;
    case Errc::kConflict:
      return 409;
    case Errc::kInvalid:
      return 422;
    case Errc::kBug:
      return 500;
  }
  return 500;
}

Errc classify_sqlstate(std::string_view s) {
  if (s.empty()) return Errc::kUnavailable;
  if (s == "57014" || s == "55P03") return Errc::kTimeout;
  if (s == "23505" || s == "23P01" || s == "40001" || s == "40P01") return Errc::kConflict;
  if (s.size() != 5) return Errc::kBug;
  const std::string_view cls = s.substr(0, 2);
  if (cls == "23" || cls == "22") return Errc::kInvalid;
  // 08 connection exception, 53 insufficient resources (too many connections,
  // disk full), 57P0x admin/crash shutdown or "cannot connect now", 58 system error.
  if (cls == "08" || cls == "53" || cls == "58" || s.starts_with("57P")) return Errc::kUnavailable;
  return Errc::kBug;
}

Error error_from_result(PGconn* conn, const PGresult* res, std::string_view what) {
  Error err;
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (state != nullptr) err.sqlstate = state;
  if (const char* c = res != nullptr ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : nullptr) {
    err.constraint = c;
  }
  // A lost connection reports no SQLSTATE (or 08xxx); PQstatus says so too.
  err.code = classify_sqlstate(err.sqlstate);
  if (conn != nullptr && PQstatus(conn) != CONNECTION_OK) err.code = Errc::kUnavailable;
  std::string text;
  if (primary == nullptr) {
    text = schema::one_line(conn != nullptr ? PQerrorMessage(conn) : "");
    if (text.empty()) text = "no message from libpq";
  } else {
    text = schema::one_line(primary);
    std::string extra;
    if (!err.sqlstate.empty()) extra += "SQLSTATE " + err.sqlstate;
    if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)) {
      extra += "; detail: " + schema::one_line(detail);
    }
    if (const char* hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT)) {
      extra += "; hint: " + schema::one_line(hint);
    }
    if (!extra.empty()) text += " (" + extra + ")";
  }
  err.message = std::string(what) + ": " + std::string(to_string(err.code)) + ": " + text;
  return err;
}

}  // namespace aether::pg
