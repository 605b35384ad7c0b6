#include "data_config.hpp"

namespace aether::api {

using namespace std::chrono_literals;

DataConfig::DataConfig(config::Spec& spec)
    : database_url_(spec.string("DATABASE_URL", "postgresql://aether:aether@127.0.0.1:5432/aether",
                                "PostgreSQL (tenants, keys, the VM projection)")
                        .secret()
                        .url({"postgres", "postgresql"})),
      nats_url_(spec.string("NATS_URL", "nats://127.0.0.1:4222", "NATS server(s)")
                    .url_list({"nats", "tls"})),
      role_(spec.choice("AETHER_API_ROLE", "all", {"all", "http", "projector"},
                        "what this process runs: the REST edge, the projector, or both")),
      pool_size_(spec.integer("AETHER_PG_POOL_SIZE", 8,
                              "PostgreSQL connections at most per process (keep replicas x "
                              "size below max_connections)")
                     .range(1, 1000)),
      acquire_timeout_(spec.duration("AETHER_PG_ACQUIRE_TIMEOUT", 2s,
                                     "wait for a free pooled connection, then 503")
                           .range(1ms, 60s)),
      statement_timeout_(spec.duration("AETHER_PG_STATEMENT_TIMEOUT", 5s,
                                       "PostgreSQL statement_timeout of every session")
                             .range(0ms, 600s)),
      auth_ttl_(spec.duration("AETHER_API_AUTH_CACHE_TTL", 5s,
                              "how long a key check is cached (a revoked key or disabled "
                              "tenant is refused within this)")
                    .range(0ms, 300s)),
      max_vms_(spec.integer("AETHER_API_DEFAULT_MAX_VMS", 10,
                            "live VMs per tenant whose max_vms is unset")
                   .range(0, 1'000'000)),
      max_vcpus_(spec.integer("AETHER_API_DEFAULT_MAX_VCPUS", 32,
                              "vCPUs of live VMs per tenant whose max_vcpus is unset")
                     .range(0, 10'000'000)),
      max_memory_mib_(spec.integer("AETHER_API_DEFAULT_MAX_MEMORY_MIB", 65536,
                                   "MiB of live VMs per tenant whose max_memory_mib is unset")
                          .range(0, 1'000'000'000)),
      projector_batch_(spec.integer("AETHER_API_PROJECTOR_BATCH", 500,
                                    "events per projection transaction at most")
                           .range(1, 10000)),
      projector_durable_(spec.string("AETHER_API_PROJECTOR_DURABLE", "api-projector",
                                     "durable consumer name of the projector on AETHER_EVENTS")
                             .non_empty()),
      vm_cache_ttl_(spec.duration("AETHER_API_VM_CACHE_TTL", 1s,
                                  "how long GET /v1/vms/{id} may answer from memory (rows are "
                                  "dropped on each event of the VM; 0: always PostgreSQL)")
                        .range(0ms, 60s)),
      vm_classes_(spec) {}

Role DataConfig::role() const {
  if (role_.value() == "http") return Role::kHttp;
  if (role_.value() == "projector") return Role::kProjector;
  return Role::kAll;
}

pg::PoolOptions DataConfig::pool_options(const std::string& application_name) const {
  return {.url = database_url_.value(),
          .size = static_cast<int>(pool_size_.value()),
          .acquire_timeout = acquire_timeout_.value(),
          .statement_timeout = statement_timeout_.value(),
          .application_name = application_name};
}

AuthOptions DataConfig::auth_options() const {
  AuthOptions o;
  o.cache_ttl = auth_ttl_.value();
  return o;
}

QuotaDefaults DataConfig::quota_defaults() const {
  return {max_vms_.value(), max_vcpus_.value(), max_memory_mib_.value()};
}

ProjectorOptions DataConfig::projector_options() const {
  ProjectorOptions o;
  o.durable = projector_durable_.value();
  o.batch_size = static_cast<int>(projector_batch_.value());
  return o;
}

VmReadCacheOptions DataConfig::vm_cache_options() const {
  VmReadCacheOptions o;
  o.ttl = vm_cache_ttl_.value();
  o.hold = vm_cache_ttl_.value();
  return o;
}

}  // namespace aether::api
