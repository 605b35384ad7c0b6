#include "migration.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "aether/digest/sha256.hpp"
#include "embedded_migrations.hpp"
#include "sql_text.hpp"

namespace aether::migrate {
namespace {

constexpr std::string_view kDirectivePrefix = "-- aether:";
constexpr std::string_view kNoTransaction = "no-transaction";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Calls `fn(line_number, trimmed_line, in_header)` for every line.
template <class Fn>
void for_each_line(std::string_view sql, Fn&& fn) {
  std::size_t line_no = 0;
  bool in_header = true;
  while (!sql.empty()) {
    auto nl = sql.find('\n');
    std::string_view line = trim(sql.substr(0, nl));
    ++line_no;
    if (!line.empty() && !line.starts_with("--")) in_header = false;
    fn(line_no, line, in_header);
    if (nl == std::string_view::npos) break;
    sql.remove_prefix(nl + 1);
  }
}

}  // namespace

Result<ParsedName> parse_migration_filename(std::string_view file) {
  auto rule = [&](std::string_view why) {
    return make_error(Errc::kBadSource,
                      "migration file \"" + std::string(file) + "\": " + std::string(why) +
                          " (rule: NNNN_name.sql, 4+ digit version > 0, name of a-z 0-9 _)");
  };
  if (!file.ends_with(".sql")) return rule("does not end in .sql");
  std::string_view stem = file.substr(0, file.size() - 4);
  auto underscore = stem.find('_');
  if (underscore == std::string_view::npos) return rule("no '_' between version and name");
  std::string_view digits = stem.substr(0, underscore);
  std::string_view name = stem.substr(underscore + 1);
  if (digits.size() < 4 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return rule("version is not 4 or more digits");
  }
  ParsedName out;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out.version);
  if (ec != std::errc() || out.version <= 0) return rule("version is 0 or too large");
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    return rule("name is empty or has characters other than a-z 0-9 _");
  }
  out.name = std::string(name);
  return out;
}

std::string migration_checksum(std::string_view sql) {
  std::string normalized;
  normalized.reserve(sql.size());
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '\r' && i + 1 < sql.size() && sql[i + 1] == '\n') continue;
    normalized.push_back(sql[i]);
  }
  return digest::sha256_hex(normalized);
}

bool has_no_transaction_header(std::string_view sql) {
  bool found = false;
  for_each_line(sql, [&](std::size_t, std::string_view line, bool in_header) {
    if (in_header && line.starts_with(kDirectivePrefix) &&
        trim(line.substr(kDirectivePrefix.size())) == kNoTransaction) {
      found = true;
    }
  });
  return found;
}

Result<Migration> make_migration(std::string_view file, std::string origin, std::string sql) {
  auto parsed = parse_migration_filename(file);
  if (!parsed) return std::unexpected(parsed.error());
  Migration m;
  m.version = parsed->version;
  m.name = parsed->name;
  m.file = std::string(file);
  m.origin = std::move(origin);
  m.checksum = migration_checksum(sql);

  // A misspelt or misplaced directive must not silently change how a
  // migration runs.
  std::optional<Error> bad;
  for_each_line(sql, [&](std::size_t line_no, std::string_view line, bool in_header) {
    if (bad || !line.starts_with(kDirectivePrefix)) return;
    std::string_view directive = trim(line.substr(kDirectivePrefix.size()));
    std::string where = m.origin + ":" + std::to_string(line_no);
    if (directive != kNoTransaction) {
      bad = Error{Errc::kBadSource, where + ": unknown directive \"" + std::string(directive) +
                                        "\" (known: -- aether:no-transaction)"};
    } else if (!in_header) {
      bad = Error{Errc::kBadSource,
                  where + ": -- aether:no-transaction must be in the leading comment block"};
    } else {
      m.no_transaction = true;
    }
  });
  if (bad) return std::unexpected(*bad);

  auto statements = split_statements(sql);
  if (m.no_transaction && statements.size() != 1) {
    // Outside a transaction a failure half-way would leave part of the file
    // applied; one statement per such file keeps "nothing half-applied".
    return make_error(Errc::kBadSource,
                      m.origin +
                          ": a -- aether:no-transaction migration must hold exactly one "
                          "statement (it has " +
                          std::to_string(statements.size()) + "); split it into several files");
  }
  for (const auto& st : statements) {
    std::string word = first_word(std::string_view(sql).substr(st.offset, st.length));
    if (word == "begin" || word == "commit" || word == "rollback" || word == "end" ||
        word == "abort" || word == "start") {
      return make_error(Errc::kBadSource,
                        m.origin + ":" + std::to_string(line_of_offset(sql, st.offset)) +
                            ": transaction control (" + word +
                            ") is not allowed: the runner wraps each migration in its own "
                            "transaction");
    }
  }
  m.sql = std::move(sql);
  return m;
}

Result<std::vector<Migration>> order_migrations(std::vector<Migration> migrations) {
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version == migrations[i - 1].version) {
      return make_error(Errc::kBadSource,
                        "two migrations have version " + std::to_string(migrations[i].version) +
                            ": " + migrations[i - 1].origin + " and " + migrations[i].origin);
    }
  }
  return migrations;
}

Result<std::vector<Migration>> load_migrations_from_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return make_error(Errc::kBadSource, "--dir " + dir.string() + ": not a readable directory");
  }
  std::vector<Migration> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) return make_error(Errc::kBadSource, entry.path().string() + ": cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    auto m = make_migration(entry.path().filename().string(), entry.path().string(), text.str());
    if (!m) return std::unexpected(m.error());
    out.push_back(std::move(*m));
  }
  if (ec) return make_error(Errc::kBadSource, "--dir " + dir.string() + ": " + ec.message());
  return order_migrations(std::move(out));
}

Result<std::vector<Migration>> load_embedded_migrations() {
  std::vector<Migration> out;
  for (const auto& f : embedded_migration_files()) {
    auto m = make_migration(f.file, "embedded:" + std::string(f.file), std::string(f.contents));
    if (!m) return std::unexpected(m.error());
    out.push_back(std::move(*m));
  }
  return order_migrations(std::move(out));
}

}  // namespace aether::migrate
