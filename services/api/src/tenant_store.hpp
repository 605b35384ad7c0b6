// Tenants: create, read, quotas, disable. Tenant ids follow schema 0001
// (^[a-z0-9][a-z0-9_-]{0,62}$); a bad one is kInvalid naming "id" before any
// query. Quotas left unset (nullopt) mean the platform default.
// Threads: any (the Pool is thread-safe); holds no state of its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "aether/pg/pool.hpp"
#include "store_error.hpp"

namespace aether::api {

struct TenantQuotas {
  std::optional<std::int64_t> max_vms;
  std::optional<std::int64_t> max_vcpus;
  std::optional<std::int64_t> max_memory_mib;
};

struct Tenant {
  std::string id;
  std::string display_name;
  TenantQuotas quotas;
  std::string created_at;  // RFC 3339, UTC, microseconds
  bool disabled = false;
};

struct NewTenant {
  std::string id;
  std::string display_name;
  TenantQuotas quotas;
};

[[nodiscard]] bool valid_tenant_id(std::string_view id);

class TenantStore {
 public:
  explicit TenantStore(pg::Pool& pool) : pool_(pool) {}

  // kConflict when the id exists, kInvalid (field) for a bad id or quota.
  [[nodiscard]] StoreResult<Tenant> create(const NewTenant& tenant);
  // nullopt: no such tenant.
  [[nodiscard]] StoreResult<std::optional<Tenant>> get(const std::string& id);
  // kNotFound when the tenant does not exist.
  [[nodiscard]] StoreResult<Tenant> set_quotas(const std::string& id, const TenantQuotas& quotas);
  // Disabled: every key of the tenant is refused (within the auth cache TTL).
  [[nodiscard]] StoreResult<Tenant> set_disabled(const std::string& id, bool disabled);

 private:
  pg::Pool& pool_;
};

}  // namespace aether::api
