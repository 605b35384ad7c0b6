// One PostgreSQL connection (RAII over libs/schema's PgConn) with
// parameterised queries whose results are read through Rows.
//
//   auto rows = conn.exec("SELECT id, max_vms FROM tenants WHERE id = $1", {tenant});
//   if (!rows) return std::unexpected(rows.error());      // typed pg::Error
//   if (rows->empty()) ...; rows->text(0, 0); rows->opt_int(0, 1);
//
// Parameters are text (PostgreSQL casts them, e.g. `$1::uuid`); nullopt is
// SQL NULL. Results are requested in text format.
// Threads: one thread at a time (libpq's rule); a Pool hands it out.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aether/pg/error.hpp"
#include "aether/schema/pg.hpp"

namespace aether::pg {

using Param = std::optional<std::string>;
using Params = std::vector<Param>;

// The rows of a successful command. Column and row indexes are 0-based and
// must be in range (checked by the caller's SQL, not at run time).
class Rows {
 public:
  explicit Rows(schema::PgResult res) : res_(std::move(res)) {}

  [[nodiscard]] int size() const { return PQntuples(res_.get()); }
  [[nodiscard]] bool empty() const { return size() == 0; }
  // Rows changed by INSERT/UPDATE/DELETE (0 when not such a command).
  [[nodiscard]] std::int64_t affected() const;

  [[nodiscard]] bool is_null(int row, int col) const { return PQgetisnull(res_.get(), row, col); }
  // "" for NULL.
  [[nodiscard]] std::string_view text(int row, int col) const {
    return {PQgetvalue(res_.get(), row, col),
            static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
  }
  [[nodiscard]] std::string str(int row, int col) const { return std::string(text(row, col)); }
  [[nodiscard]] std::optional<std::string> opt_str(int row, int col) const;
  // 0 for NULL or a non-number.
  [[nodiscard]] std::int64_t int64(int row, int col) const;
  [[nodiscard]] std::optional<std::int64_t> opt_int(int row, int col) const;
  [[nodiscard]] bool boolean(int row, int col) const { return text(row, col) == "t"; }
  [[nodiscard]] std::optional<bool> opt_bool(int row, int col) const;
  // A text[] column ('{a,b}') as strings; handles quoted elements.
  [[nodiscard]] std::vector<std::string> text_array(int row, int col) const;

 private:
  schema::PgResult res_;
};

// A SQL text[] literal for a parameter ('{"a","b"}'), elements quoted and escaped.
[[nodiscard]] std::string text_array_literal(const std::vector<std::string>& values);

class Connection {
 public:
  explicit Connection(schema::PgConn conn) : conn_(std::move(conn)) {}

  // Opens a connection and applies the session settings (statement_timeout
  // in ms, 0: none; TimeZone UTC so timestamps print and parse as UTC).
  [[nodiscard]] static Result<Connection> open(const std::string& url,
                                               const std::string& application_name,
                                               std::chrono::seconds connect_timeout,
                                               std::chrono::milliseconds statement_timeout);

  // One parameterised statement.
  [[nodiscard]] Result<Rows> exec(const char* sql, const Params& params = {});
  // Several statements without parameters (simple query protocol).
  [[nodiscard]] Result<void> exec_script(const char* sql);

  // False once the server has gone (a broken connection is never reused).
  [[nodiscard]] bool healthy() const;
  // True when not inside a transaction block.
  [[nodiscard]] bool idle() const;
  [[nodiscard]] PGconn* raw() const { return conn_.get(); }

 private:
  schema::PgConn conn_;
};

}  // namespace aether::pg
