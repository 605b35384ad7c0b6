// Server-Sent Events (the WHATWG event-stream format) read line by line, for
// `aetherctl events --follow`: the api's `GET /v1/events` gives each event
// an `id:` (its AETHER_EVENTS stream sequence), which the client sends back
// as Last-Event-ID when it reconnects, so nothing is missed or seen twice.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aether::ctl {

struct SseEvent {
  std::string id;     // empty when the event had none
  std::string event;  // "message" when the event had no `event:` field
  std::string data;   // `data:` lines joined with '\n'
};

class SseParser {
 public:
  // One line without its line ending. Returns an event when `line` is the
  // blank line that ends one with data; comments (":...") and unknown
  // fields are ignored, as the format says.
  [[nodiscard]] std::optional<SseEvent> feed(std::string_view line);
  // The last id seen (what to send as Last-Event-ID).
  [[nodiscard]] const std::string& last_id() const { return last_id_; }

 private:
  SseEvent current_;
  bool has_data_ = false;
  std::string last_id_;
};

}  // namespace aether::ctl
