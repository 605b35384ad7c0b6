#include "aether/pg/connection.hpp"

#include <charconv>

namespace aether::pg {
namespace {

std::int64_t parse_int(std::string_view s) {
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

std::int64_t Rows::affected() const { return parse_int(PQcmdTuples(res_.get())); }

std::optional<std::string> Rows::opt_str(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return str(row, col);
}

std::int64_t Rows::int64(int row, int col) const { return parse_int(text(row, col)); }

std::optional<std::int64_t> Rows::opt_int(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return int64(row, col);
}

std::optional<bool> Rows::opt_bool(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return boolean(row, col);
}

std::vector<std::string> Rows::text_array(int row, int col) const {
  std::vector<std::string> out;
  std::string_view s = text(row, col);
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return out;
  s = s.substr(1, s.size() - 2);
  std::size_t i = 0;
  while (i < s.size()) {
    std::string item;
    if (s[i] == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        item.push_back(s[i]);
      }
      ++i;  // closing quote
    } else {
      for (; i < s.size() && s[i] != ','; ++i) item.push_back(s[i]);
    }
    out.push_back(std::move(item));
    if (i < s.size() && s[i] == ',') ++i;
  }
  return out;
}

std::string text_array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

Result<Connection> Connection::open(const std::string& url, const std::string& application_name,
                                    std::chrono::seconds connect_timeout,
                                    std::chrono::milliseconds statement_timeout) {
  auto conn = schema::connect(url, {application_name, connect_timeout});
  if (!conn) return make_error(Errc::kUnavailable, "database unavailable: " + conn.error().message);
  Connection c(std::move(*conn));
  const std::string settings =
      "SET statement_timeout = " + std::to_string(statement_timeout.count()) +
      "; SET TimeZone = 'UTC'";
  if (auto r = c.exec_script(settings.c_str()); !r) return std::unexpected(r.error());
  return c;
}

Result<Rows> Connection::exec(const char* sql, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  schema::PgResult res(PQexecParams(conn_.get(), sql, static_cast<int>(values.size()), nullptr,
                                    values.data(), nullptr, nullptr, 0));
  const auto status = PQresultStatus(res.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(error_from_result(conn_.get(), res.get(), "query failed"));
  }
  return Rows(std::move(res));
}

Result<void> Connection::exec_script(const char* sql) {
  schema::PgResult res(PQexec(conn_.get(), sql));
  const auto status = PQresultStatus(res.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(error_from_result(conn_.get(), res.get(), "statement failed"));
  }
  return {};
}

bool Connection::healthy() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

bool Connection::idle() const { return conn_ && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE; }

}  // namespace aether::pg
