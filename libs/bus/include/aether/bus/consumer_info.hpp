// How much work waits for a durable JetStream consumer: the numbers an
// autoscaler (or KEDA's NATS JetStream scaler) reads as backlog.
//
// Threads: a plain blocking JetStream API call, safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "aether/bus/connection.hpp"
#include "aether/bus/errors.hpp"

namespace aether::bus {

struct ConsumerBacklog {
  std::string stream;
  std::string consumer;
  std::uint64_t pending = 0;      // in the stream, not yet delivered to anyone
  std::uint64_t ack_pending = 0;  // delivered, neither acked nor terminated yet
  std::uint64_t redelivered = 0;  // delivered more than once and still unacked
  std::uint64_t waiting = 0;      // pull requests waiting for messages
  [[nodiscard]] std::uint64_t total() const { return pending + ack_pending; }
};

// kNotFound when the stream or consumer does not exist.
[[nodiscard]] Result<ConsumerBacklog> consumer_backlog(Connection& connection,
                                                       const std::string& stream,
                                                       const std::string& consumer);

}  // namespace aether::bus
