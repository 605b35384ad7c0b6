// Serving requests: a handler subscribed to a subject (optionally in a queue
// group). For each request the library extracts the caller's trace context,
// opens a server span "<service> <operation>" (active while the handler runs),
// decodes the request by its Content-Type, calls the handler, and replies in
// the request's content type: the encoded reply, or an error reply carrying
// Nats-Service-Error / Nats-Service-Error-Code (and an aether.v1-style
// ErrorReply body: code, message).
//
// Threads: cnats calls the handler on the subscription's own delivery thread,
// one message at a time per subscription (different subscriptions run in
// parallel). A handler may call any Connection method, including request().
// Subscription's destructor unsubscribes and waits until a running handler
// has returned (unless it is called from inside that handler).
#pragma once

#include <google/protobuf/message.h>

#include <aether/trace/trace.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "aether/bus/codec.hpp"
#include "aether/bus/connection.hpp"
#include "aether/bus/errors.hpp"
#include "aether/bus/headers.hpp"

namespace aether::bus {

// What a handler knows about the request besides its payload.
struct RequestContext {
  std::string subject;
  Headers headers;
  std::string tenant;  // Aether-Tenant, empty when absent
  ContentType content_type = ContentType::kProtobuf;
  trace::SpanContext span;                   // the server span (already the thread's current span)
  std::optional<trace::SpanContext> caller;  // the caller's context, if it sent one
};

// Counters an endpoint keeps for NATS micro STATS. Thread-safe.
class EndpointStats {
 public:
  struct Snapshot {
    std::uint64_t num_requests = 0;
    std::uint64_t num_errors = 0;
    std::string last_error;
    std::chrono::nanoseconds processing_time{0};
  };
  void record(std::chrono::nanoseconds elapsed, const Error* error);
  [[nodiscard]] Snapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  Snapshot data_;  // guarded by mutex_
};

struct ServeOptions {
  std::string queue_group;               // empty: every subscriber gets every request
  std::string service;                   // span "<service> <operation>"; default: connection name
  std::string operation;                 // default: the subject
  std::shared_ptr<EndpointStats> stats;  // counted when set (micro endpoints)
  // Protocol traffic ($SRV.*): no span, reply payload sent without headers.
  bool plain = false;
};

// Type-erased handler: payload in, encoded reply payload out.
using RawHandler =
    std::function<Result<std::string>(std::string_view payload, const RequestContext& context)>;

template <class Req, class Rep>
using Handler = std::function<Result<Rep>(const Req& request, const RequestContext& context)>;

// A live subscription; unsubscribes on destruction. Move-only.
class Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&&) noexcept = default;
  Subscription& operator=(Subscription&&) noexcept;
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Unsubscribes now (idempotent).
  void stop();
  [[nodiscard]] bool active() const { return state_ != nullptr; }

  struct State;
  explicit Subscription(std::shared_ptr<State> state) : state_(std::move(state)) {}

 private:
  std::shared_ptr<State> state_;
};

[[nodiscard]] Result<Subscription> serve_raw(Connection& connection, std::string subject,
                                             ServeOptions options, RawHandler handler);

// Wraps a typed handler: decode the request by its content type, call,
// encode the reply in the same content type.
template <class Req, class Rep>
[[nodiscard]] RawHandler typed_handler(Handler<Req, Rep> handler) {
  return [h = std::move(handler)](std::string_view payload,
                                  const RequestContext& ctx) -> Result<std::string> {
    Req request;
    if (auto d = decode(payload, ctx.content_type, request); !d) {
      return std::unexpected(std::move(d.error()));
    }
    auto reply = h(request, ctx);
    if (!reply) return std::unexpected(std::move(reply.error()));
    return encode(*reply, ctx.content_type);
  };
}

template <class Req, class Rep>
[[nodiscard]] Result<Subscription> serve(Connection& connection, std::string subject,
                                         ServeOptions options, Handler<Req, Rep> handler) {
  return serve_raw(connection, std::move(subject), std::move(options),
                   typed_handler(std::move(handler)));
}

}  // namespace aether::bus
