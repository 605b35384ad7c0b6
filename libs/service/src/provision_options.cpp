#include "aether/service/provision_options.hpp"

namespace aether::service {

ProvisionOptions::ProvisionOptions(config::Spec& spec)
    : enabled_(spec.boolean("AETHER_PROVISION", true,
                            "create/update the bus contract's streams, consumers and KV buckets "
                            "at start")),
      replicas_(spec.integer("AETHER_STREAM_REPLICAS", 1,
                             "replicas of those streams and buckets (3 on a 3-node JetStream "
                             "cluster; the same value in every service that provisions)")
                    .range(1, 5)) {}

std::optional<bus::ProvisionConfig> ProvisionOptions::config(bus::ProvisionConfig base) const {
  if (!enabled_.value()) return std::nullopt;
  base.replicas = static_cast<int>(replicas_.value());
  return base;
}

}  // namespace aether::service
