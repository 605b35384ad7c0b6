// EventPublisher over libs/bus: publishes aether.evt.schema.migrated to
// JetStream (stream AETHER_EVENTS) with Nats-Msg-Id and the current span's
// trace headers.
//
// It connects lazily on the first publish(), so a run with nothing to apply
// never needs NATS. publish() retries (connect and publish alike) with
// backoff until `total_timeout` has passed; the stable msg_id makes a retry
// after a lost PubAck a duplicate JetStream drops. One thread at a time.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "aether/bus/connection.hpp"
#include "event_publisher.hpp"

namespace aether::migrate {

struct NatsPublisherOptions {
  std::string url = "nats://127.0.0.1:4222";
  std::chrono::milliseconds total_timeout{30'000};
  std::chrono::milliseconds attempt_timeout{5'000};
};

class NatsEventPublisher final : public EventPublisher {
 public:
  explicit NatsEventPublisher(NatsPublisherOptions options) : options_(std::move(options)) {}
  [[nodiscard]] Result<void> publish(const aether::v1::SchemaMigrated& event,
                                     const std::string& msg_id) override;

 private:
  NatsPublisherOptions options_;
  std::optional<bus::Connection> connection_;
};

}  // namespace aether::migrate
