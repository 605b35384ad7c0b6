// The shared core of a Connection (private).
#pragma once

#include <chrono>
#include <string>

#include <aether/trace/trace.hpp>

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
// Sets one header; both strings NUL-terminated.
[[nodiscard]] Result<void> set_header(natsMsg* msg, const char* key, const char* value);
// Content-Type, Aether-Tenant (when not empty) and the span's traceparent /
// tracestate (when given), written straight onto the message.
[[nodiscard]] Result<void> set_standard_headers(natsMsg* msg, ContentType type,
                                                const std::string& tenant,
                                                const trace::SpanContext* span);
}  // namespace detail

}  // namespace aether::bus
