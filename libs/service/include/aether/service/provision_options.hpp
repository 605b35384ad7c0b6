// ProvisionOptions: the bus contract's provisioning settings, declared the same
// way by every service that creates the streams, consumers and buckets at start
// (vm-worker, autoscaler):
//   AETHER_PROVISION        create/update them at start (default true)
//   AETHER_STREAM_REPLICAS  their replica count: 1 on one nats-server, 3 on a
//                           3-node JetStream cluster as prod runs it
// Every provisioning service must get the same value: bus::provision() brings
// an existing stream to the replicas it is given.
//
// Lifecycle/threads: like the Spec's fields: declare at start-up, read after load().
#pragma once

#include <optional>

#include "aether/bus/jetstream.hpp"
#include "aether/config/config.hpp"

namespace aether::service {

class ProvisionOptions {
 public:
  explicit ProvisionOptions(config::Spec& spec);
  // `base` with this deployment's replicas; nullopt when AETHER_PROVISION=false.
  [[nodiscard]] std::optional<bus::ProvisionConfig> config(bus::ProvisionConfig base = {}) const;

 private:
  const config::BoolField& enabled_;
  const config::IntField& replicas_;
};

}  // namespace aether::service
