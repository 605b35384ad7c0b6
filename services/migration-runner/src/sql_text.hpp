// Splitting a migration's SQL into statements, and mapping positions to lines.
//
// Written by hand (no Debian-packaged SQL lexer exists): it understands what
// changes where a ';' ends a statement in PostgreSQL: '…' and E'…' strings,
// "…" identifiers, $tag$…$tag$ bodies, -- and nested /* */ comments,
// parentheses, and BEGIN ATOMIC … END function bodies (like psql does).
// Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace aether::migrate {

struct Statement {
  std::size_t offset = 0;  // byte offset of the statement's first token in the file
  std::size_t length = 0;  // through the terminating ';' (or the end of the text)
};

// Statements in order; text that is only whitespace and comments yields none.
[[nodiscard]] std::vector<Statement> split_statements(std::string_view sql);

// 1-based line of a byte offset.
[[nodiscard]] std::size_t line_of_offset(std::string_view text, std::size_t offset);

// PostgreSQL reports error positions as 1-based character (not byte) indexes;
// this converts one to a byte offset into UTF-8 `text` (clamped to its size).
[[nodiscard]] std::size_t byte_offset_of_char_position(std::string_view text,
                                                       std::size_t char_position);

// The first word of a statement, lower-cased ("create", "begin", ...).
[[nodiscard]] std::string first_word(std::string_view statement);

}  // namespace aether::migrate
