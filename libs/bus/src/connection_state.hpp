// The shared core of a Connection (private).
#pragma once

#include <chrono>
#include <string>

#include "aether/bus/connection.hpp"
#include "aether/bus/handles.hpp"

namespace aether::bus {

struct Connection::State {
  ConnPtr nc;  // declared before js so js is destroyed first
  JsPtr js;
  std::string name;
  std::chrono::milliseconds jetstream_timeout{5000};
};

namespace detail {
// Builds a message with headers (trace context of the current span added by
// the caller) ready to publish.
[[nodiscard]] Result<MsgPtr> make_msg(std::string_view subject, const char* reply,
                                      std::string_view data, const Headers& headers);
}  // namespace detail

}  // namespace aether::bus
