// The shared core of a Connection (private).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include <aether/trace/trace.hpp>

#include "aether/bus/connection.hpp"
#include "aether/bus/handles.hpp"

namespace aether::bus {

// What cnats' connection-event callbacks need. They run on cnats' own thread,
// so the closed callback signals here and the State's destructor waits for it:
// a process that exits right after dropping its connection must not have a
// cnats thread still logging through spdlog while static destructors run.
struct ConnectionEvents {
  std::string name;
  std::mutex mutex;
  std::condition_variable closed_cv;
  bool closed = false;  // guarded by mutex
};

struct Connection::State {
  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  // Closes the connection and waits (bounded) for cnats' closed callback.
  ~State();

  ConnPtr nc;  // declared before js so js is destroyed first
  JsPtr js;
  std::string name;
  std::chrono::milliseconds jetstream_timeout{5000};
  std::shared_ptr<ConnectionEvents> events;  // also held by cnats' callbacks
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
