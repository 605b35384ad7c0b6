// CoreSubscription: a plain core NATS subscription whose messages go to a
// callback, never answered (unlike bus::serve_raw, which replies: a JetStream
// publish carries the publisher's ack inbox as its reply subject), and which
// ends by DRAINING: drain() delivers every message the client already
// received, then unsubscribes and waits for the last callback. So a stream's
// chunks that arrived just before the request's reply are not dropped (the
// exec stream), and no callback runs once drain() returned.
// Threads: subscribe/drain/destructor on one thread; the callback on cnats'
// delivery thread, one message at a time.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "aether/bus/connection.hpp"
#include "aether/bus/handles.hpp"

namespace aether::api {

class CoreSubscription {
 public:
  using Callback = std::function<void(std::string_view subject, std::string_view data)>;
  [[nodiscard]] static std::expected<std::unique_ptr<CoreSubscription>, std::string> subscribe(
      bus::Connection& bus, const std::string& subject, Callback callback);
  // Delivers what was received, unsubscribes, waits (up to `timeout`) for the callbacks.
  void drain(std::chrono::milliseconds timeout = std::chrono::seconds(2));
  ~CoreSubscription() { drain(); }
  CoreSubscription(const CoreSubscription&) = delete;
  CoreSubscription& operator=(const CoreSubscription&) = delete;

 private:
  explicit CoreSubscription(Callback callback) : callback_(std::move(callback)) {}
  static void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* self);

  Callback callback_;
  bus::SubPtr sub_;
};

}  // namespace aether::api
