// GET /v1/events: Server-Sent Events of the caller's VM lifecycle, read from
// the AETHER_EVENTS stream by an ephemeral ordered consumer (no ack state on
// the server; it ends with the client). Each event's `id:` is its stream
// sequence, so Last-Event-ID resumes exactly after it: nothing missed, nothing
// twice. Without Last-Event-ID the stream starts with new events only.
// Other tenants' events are skipped on our side (the stream's subjects do not
// carry the tenant). A comment line every `heartbeat` notices gone clients.
// Threads: one handler thread per open stream, for as long as it is open.
#pragma once

#include <chrono>

#include "aether/rest/message.hpp"
#include "route_deps.hpp"

namespace aether::api {

class EventStream {
 public:
  explicit EventStream(RouteDeps& deps,
                       std::chrono::milliseconds heartbeat = std::chrono::seconds(15))
      : deps_(deps), heartbeat_(heartbeat) {}
  rest::Response open(rest::Request& req, const Principal& who);

 private:
  RouteDeps& deps_;
  std::chrono::milliseconds heartbeat_;
};

}  // namespace aether::api
