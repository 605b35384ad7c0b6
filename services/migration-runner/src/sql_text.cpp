#include "sql_text.hpp"

#include <cctype>

namespace aether::migrate {
namespace {

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         (static_cast<unsigned char>(c) >= 0x80);
}
bool is_ident_char(char c) {
  return is_ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '$';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Scans the SQL once; `on_token` is told where each significant token starts
// and `on_end` where each top-level ';' is.
class Scanner {
 public:
  explicit Scanner(std::string_view sql) : sql_(sql) {}

  std::vector<Statement> run() {
    std::vector<Statement> out;
    std::size_t i = 0;
    const std::size_t n = sql_.size();
    bool in_statement = false;
    std::size_t start = 0;
    auto mark_token = [&](std::size_t at) {
      if (!in_statement) {
        in_statement = true;
        start = at;
      }
    };
    while (i < n) {
      char c = sql_[i];
      char next = i + 1 < n ? sql_[i + 1] : '\0';
      if (c == '-' && next == '-') {  // line comment
        while (i < n && sql_[i] != '\n') ++i;
        continue;
      }
      if (c == '/' && next == '*') {  // block comment, nested like PostgreSQL's
        int depth = 0;
        while (i < n) {
          if (sql_[i] == '/' && i + 1 < n && sql_[i + 1] == '*') {
            ++depth;
            i += 2;
          } else if (sql_[i] == '*' && i + 1 < n && sql_[i + 1] == '/') {
            i += 2;
            if (--depth == 0) break;
          } else {
            ++i;
          }
        }
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c)) != 0) {
        ++i;
        continue;
      }
      mark_token(i);
      if (c == '\'') {
        bool escapes = i > 0 && (sql_[i - 1] == 'e' || sql_[i - 1] == 'E') &&
                       (i < 2 || !is_ident_char(sql_[i - 2]));
        i = skip_quoted(i, '\'', escapes);
        prev_word_.clear();
        continue;
      }
      if (c == '"') {
        i = skip_quoted(i, '"', false);
        prev_word_.clear();
        continue;
      }
      if (c == '$' && (i == 0 || !is_ident_char(sql_[i - 1]))) {
        std::size_t j = i + 1;
        if (j < n && is_ident_start(sql_[j])) {
          while (j < n && is_ident_char(sql_[j]) && sql_[j] != '$') ++j;
        }
        if (j < n && sql_[j] == '$') {
          std::string_view tag = sql_.substr(i, j - i + 1);
          std::size_t close = sql_.find(tag, j + 1);
          i = close == std::string_view::npos ? n : close + tag.size();
          prev_word_.clear();
          continue;
        }
      }
      if (is_ident_start(c)) {
        std::size_t j = i;
        while (j < n && is_ident_char(sql_[j])) ++j;
        on_word(lower(sql_.substr(i, j - i)));
        i = j;
        continue;
      }
      if (c == '(') ++paren_depth_;
      if (c == ')' && paren_depth_ > 0) --paren_depth_;
      if (c == ';' && paren_depth_ == 0 && atomic_depth_ == 0) {
        out.push_back(Statement{start, i + 1 - start});
        in_statement = false;
        prev_word_.clear();
        ++i;
        continue;
      }
      prev_word_.clear();
      ++i;
    }
    if (in_statement) out.push_back(Statement{start, n - start});
    return out;
  }

 private:
  std::size_t skip_quoted(std::size_t i, char quote, bool backslash_escapes) {
    const std::size_t n = sql_.size();
    ++i;
    while (i < n) {
      if (backslash_escapes && sql_[i] == '\\') {
        i += 2;
        continue;
      }
      if (sql_[i] == quote) {
        if (i + 1 < n && sql_[i + 1] == quote) {  // doubled quote
          i += 2;
          continue;
        }
        return i + 1;
      }
      ++i;
    }
    return n;
  }

  void on_word(std::string word) {
    if (prev_word_ == "begin" && word == "atomic") {
      ++atomic_depth_;
    } else if (atomic_depth_ > 0 && word == "case") {
      ++atomic_depth_;
    } else if (atomic_depth_ > 0 && word == "end") {
      --atomic_depth_;
    }
    prev_word_ = std::move(word);
  }

  std::string_view sql_;
  int paren_depth_ = 0;
  int atomic_depth_ = 0;
  std::string prev_word_;
};

}  // namespace

std::vector<Statement> split_statements(std::string_view sql) { return Scanner(sql).run(); }

std::size_t line_of_offset(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
  }
  return line;
}

std::size_t byte_offset_of_char_position(std::string_view text, std::size_t char_position) {
  if (char_position <= 1) return 0;
  std::size_t chars = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    // Continuation bytes (10xxxxxx) belong to the previous character.
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == char_position) return i;
    ++chars;
  }
  return text.size();
}

std::string first_word(std::string_view statement) {
  std::size_t i = 0;
  while (i < statement.size() && !is_ident_start(statement[i])) ++i;
  std::size_t j = i;
  while (j < statement.size() && is_ident_char(statement[j])) ++j;
  return lower(statement.substr(i, j - i));
}

}  // namespace aether::migrate
