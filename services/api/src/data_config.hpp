// The api's data-side settings (PostgreSQL pool, auth cache, quotas'
// defaults, projector, role), declared on the service's config::Spec so
// --help lists them and --check-config validates them.
// Lifecycle: declare before Cli::parse(), read after.
#pragma once

#include <string>

#include "aether/config/config.hpp"
#include "aether/pg/pool.hpp"
#include "aether/service/vm_class_option.hpp"
#include "authenticator.hpp"
#include "projector.hpp"
#include "vm_read_cache.hpp"
#include "vm_store.hpp"

namespace aether::api {

// The highest migration the api's queries need (0005: tenant vCPU/memory
// quotas, 0006: the live-VMs-by-tenant index, 0007: the pause states);
// /readyz waits for it.
inline constexpr std::int64_t kNeedsSchema = 7;

enum class Role { kAll, kHttp, kProjector };

class DataConfig {
 public:
  explicit DataConfig(config::Spec& spec);

  [[nodiscard]] Role role() const;
  [[nodiscard]] const std::string& database_url() const { return database_url_.value(); }
  [[nodiscard]] const std::string& nats_url() const { return nats_url_.value(); }
  [[nodiscard]] pg::PoolOptions pool_options(const std::string& application_name) const;
  [[nodiscard]] AuthOptions auth_options() const;
  [[nodiscard]] QuotaDefaults quota_defaults() const;
  [[nodiscard]] ProjectorOptions projector_options() const;
  [[nodiscard]] VmReadCacheOptions vm_cache_options() const;
  // AETHER_VM_CLASSES: where a create is published (the workers' table).
  [[nodiscard]] bus::VmClassTable vm_classes() const { return vm_classes_.table(); }

 private:
  const config::StringField& database_url_;
  const config::StringField& nats_url_;
  const config::ChoiceField& role_;
  const config::IntField& pool_size_;
  const config::DurationField& acquire_timeout_;
  const config::DurationField& statement_timeout_;
  const config::DurationField& auth_ttl_;
  const config::IntField& max_vms_;
  const config::IntField& max_vcpus_;
  const config::IntField& max_memory_mib_;
  const config::IntField& projector_batch_;
  const config::StringField& projector_durable_;
  const config::DurationField& vm_cache_ttl_;
  service::VmClassOption vm_classes_;
};

}  // namespace aether::api
