// Pull consumption of a durable JetStream consumer: the caller fetches only
// as many messages as it has room for, and settles each one (ack, nak with a
// redelivery delay, term, or in-progress to extend the ack deadline).
//
// Lifecycle: PullConsumer::bind() attaches to an existing durable consumer
// (see ensure_consumer/provision); messages keep the consumer alive, so they
// can be settled after it is gone.
// Threads: fetch()/run() are called by ONE owning thread at a time; a
// JsMessage may be settled from any thread (e.g. a worker that finished).
#pragma once

#include <google/protobuf/message.h>

#include <aether/trace/trace.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "aether/bus/codec.hpp"
#include "aether/bus/connection.hpp"
#include "aether/bus/errors.hpp"
#include "aether/bus/handles.hpp"
#include "aether/bus/headers.hpp"

namespace aether::bus {

class JsMessage {
 public:
  [[nodiscard]] const std::string& subject() const { return subject_; }
  [[nodiscard]] std::string_view data() const;
  [[nodiscard]] const Headers& headers() const { return headers_; }
  [[nodiscard]] std::string tenant() const { return headers_.get(kTenantHeader).value_or(""); }
  // 1 on first delivery, 2 on the first redelivery, ...
  [[nodiscard]] std::uint64_t delivery_count() const { return delivered_; }
  [[nodiscard]] std::uint64_t stream_sequence() const { return stream_seq_; }
  // True when the consumer will not deliver this message again if it is not
  // acked now (delivery_count reached the consumer's MaxDeliver): a handler
  // that would nak must settle it for good instead, or it is silently dropped.
  [[nodiscard]] bool final_delivery() const {
    return max_deliver_ > 0 && delivered_ >= static_cast<std::uint64_t>(max_deliver_);
  }
  // The publisher's trace context (traceparent/tracestate headers).
  [[nodiscard]] std::optional<trace::SpanContext> trace_parent() const;

  [[nodiscard]] Result<void> decode(google::protobuf::Message& out) const;
  template <class T>
  [[nodiscard]] Result<T> decode_as() const {
    T out;
    if (auto r = decode(out); !r) return std::unexpected(std::move(r.error()));
    return out;
  }

  // Settling. ack/nak/term are final; in_progress may repeat.
  [[nodiscard]] Result<void> ack();
  [[nodiscard]] Result<void> nak(std::chrono::milliseconds delay = std::chrono::milliseconds{0});
  [[nodiscard]] Result<void> term();
  [[nodiscard]] Result<void> in_progress();

  // max_deliver: the consumer's MaxDeliver (-1: unlimited).
  JsMessage(std::shared_ptr<void> owner, MsgPtr msg, std::int64_t max_deliver = -1);

 private:
  std::shared_ptr<void> owner_;  // keeps the subscription alive for acks
  MsgPtr msg_;
  std::string subject_;
  Headers headers_;
  std::uint64_t delivered_ = 0;
  std::uint64_t stream_seq_ = 0;
  std::int64_t max_deliver_ = -1;
};

struct PullOptions {
  std::string service;    // consumer span "<service> <operation>"; default connection name
  std::string operation;  // default: the durable name
};

class PullConsumer {
 public:
  [[nodiscard]] static Result<PullConsumer> bind(Connection& connection, std::string stream,
                                                 std::string durable, PullOptions options = {});

  // Up to `batch` messages, waiting at most `wait` for the first; an empty
  // vector when none arrived in time.
  [[nodiscard]] Result<std::vector<JsMessage>> fetch(int batch, std::chrono::milliseconds wait);

  // Loop until `stop` is requested: ask room() how many messages fit now
  // (0: wait a little and ask again), fetch that many, and call handler for
  // each inside a consumer span continuing the publisher's trace (active
  // during the call). The handler settles the message (or leaves it to be
  // redelivered after the ack wait). Fetch errors (disconnects, server
  // restarts) are logged and retried with backoff (0.2 s doubling to 5 s);
  // only a caller mistake (kInvalidArgument) ends the loop early.
  using MessageHandler = std::function<void(JsMessage&)>;
  [[nodiscard]] Result<void> run(std::stop_token stop, const std::function<int()>& room,
                                 const MessageHandler& handler,
                                 std::chrono::milliseconds wait = std::chrono::seconds(1));

  // Opens a consumer span for a message (what run() does for each one).
  [[nodiscard]] trace::Span start_span(const JsMessage& message) const;

  struct State;

 private:
  explicit PullConsumer(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace aether::bus
