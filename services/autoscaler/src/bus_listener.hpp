// BusListener: a plain core-NATS subscription (no reply, no span) that hands
// each message's subject, payload and Content-Type to a callback. Used to
// *see* creates as they are published (the JetStream publish's reply subject
// is the publisher's ack inbox, so nothing here may answer) and VM events.
//
// Lifecycle: subscribe() -> destructor drains the subscription and waits
// for a running callback. Threads: the callback runs on cnats' delivery
// thread of this subscription, one message at a time.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aether/bus/connection.hpp"
#include "aether/bus/handles.hpp"
#include "errors.hpp"

namespace aether::autoscaler {

class BusListener {
 public:
  using Callback = std::function<void(std::string_view subject, std::string_view payload,
                                      const std::optional<std::string>& content_type)>;

  [[nodiscard]] static Result<std::unique_ptr<BusListener>> subscribe(bus::Connection& connection,
                                                                      const std::string& subject,
                                                                      Callback callback);
  ~BusListener();
  BusListener(const BusListener&) = delete;
  BusListener& operator=(const BusListener&) = delete;

 private:
  BusListener(bus::Connection connection, Callback callback)
      : connection_(std::move(connection)), callback_(std::move(callback)) {}
  static void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* self);

  bus::Connection connection_;  // keeps the cnats connection open while subscribed
  Callback callback_;
  bus::SubPtr sub_;
};

}  // namespace aether::autoscaler
