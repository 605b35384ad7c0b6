// Private: the two line formats behind aether::log::make_formatter().
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace aether::log::detail {

// Appends `text` as the inside of a JSON string: escapes quotes, backslashes and
// control characters, and replaces invalid UTF-8 with U+FFFD so the line stays valid JSON.
void append_json_escaped(std::string_view text, spdlog::memory_buf_t& dest);

[[nodiscard]] std::unique_ptr<spdlog::formatter> make_json_formatter(std::string service);
[[nodiscard]] std::unique_ptr<spdlog::formatter> make_text_formatter();

}  // namespace aether::log::detail
