#include "sse.hpp"

namespace aether::ctl {

std::optional<SseEvent> SseParser::feed(std::string_view line) {
  if (line.empty()) {
    if (!has_data_) {
      current_ = {};
      return std::nullopt;
    }
    SseEvent done = std::move(current_);
    if (done.event.empty()) done.event = "message";
    current_ = {};
    has_data_ = false;
    return done;
  }
  if (line.front() == ':') return std::nullopt;
  std::string_view field = line;
  std::string_view value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data += value;
    has_data_ = true;
  } else if (field == "event") {
    current_.event = value;
  } else if (field == "id" && value.find('\0') == std::string_view::npos) {
    current_.id = value;
    last_id_ = value;
  }
  return std::nullopt;
}

}  // namespace aether::ctl
