#include "tenant_store.hpp"

#include "sql_time.hpp"

namespace aether::api {
namespace {

constexpr const char* kColumns =
    "id, display_name, max_vms, max_vcpus, max_memory_mib, " AETHER_SQL_TIME(
        "created_at") ", disabled_at IS NOT NULL";

Tenant read_tenant(const pg::Rows& rows, int r) {
  return Tenant{rows.str(r, 0),
                rows.str(r, 1),
                {rows.opt_int(r, 2), rows.opt_int(r, 3), rows.opt_int(r, 4)},
                rows.str(r, 5),
                rows.boolean(r, 6)};
}

pg::Param opt_param(const std::optional<std::int64_t>& v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}

std::optional<StoreError> check_quotas(const TenantQuotas& q) {
  for (auto [name, value] : {std::pair{"max_vms", q.max_vms}, std::pair{"max_vcpus", q.max_vcpus},
                             std::pair{"max_memory_mib", q.max_memory_mib}}) {
    if (value && *value < 0) {
      return StoreError(StoreErrc::kInvalid, std::string(name) + " must be >= 0", name);
    }
    if (value && *value > 2147483647 && std::string_view(name) != "max_memory_mib") {
      return StoreError(StoreErrc::kInvalid, std::string(name) + " must be <= 2147483647", name);
    }
  }
  return std::nullopt;
}

StoreError bad_id(std::string_view id) {
  return StoreError(
      StoreErrc::kInvalid,
      "tenant id '" + std::string(id.substr(0, 80)) + "' must match ^[a-z0-9][a-z0-9_-]{0,62}$",
      "id");
}

}  // namespace

bool valid_tenant_id(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  auto ok_first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!ok_first(id[0])) return false;
  for (char c : id.substr(1)) {
    if (!ok_first(c) && c != '_' && c != '-') return false;
  }
  return true;
}

StoreResult<Tenant> TenantStore::create(const NewTenant& t) {
  if (!valid_tenant_id(t.id)) return std::unexpected(bad_id(t.id));
  if (auto bad = check_quotas(t.quotas)) return std::unexpected(*bad);
  const std::string sql =
      std::string(
          "INSERT INTO tenants (id, display_name, max_vms, max_vcpus, max_memory_mib)"
          " VALUES ($1, $2, $3::int, $4::int, $5::bigint) RETURNING ") +
      kColumns;
  auto rows =
      pool_.query(sql.c_str(), {t.id, t.display_name, opt_param(t.quotas.max_vms),
                                opt_param(t.quotas.max_vcpus), opt_param(t.quotas.max_memory_mib)});
  if (!rows) {
    if (rows.error().code == pg::Errc::kConflict) {
      return store_error(StoreErrc::kConflict, "tenant '" + t.id + "' already exists", "id");
    }
    return std::unexpected(StoreError(rows.error()));
  }
  return read_tenant(*rows, 0);
}

StoreResult<std::optional<Tenant>> TenantStore::get(const std::string& id) {
  if (!valid_tenant_id(id)) return std::optional<Tenant>();
  const std::string sql = std::string("SELECT ") + kColumns + " FROM tenants WHERE id = $1";
  auto rows = pool_.query(sql.c_str(), {id});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  if (rows->empty()) return std::optional<Tenant>();
  return read_tenant(*rows, 0);
}

StoreResult<Tenant> TenantStore::set_quotas(const std::string& id, const TenantQuotas& q) {
  if (auto bad = check_quotas(q)) return std::unexpected(*bad);
  const std::string sql = std::string(
                              "UPDATE tenants SET max_vms = $2::int, max_vcpus = $3::int,"
                              " max_memory_mib = $4::bigint WHERE id = $1 RETURNING ") +
                          kColumns;
  auto rows = pool_.query(
      sql.c_str(), {id, opt_param(q.max_vms), opt_param(q.max_vcpus), opt_param(q.max_memory_mib)});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  if (rows->empty()) return store_error(StoreErrc::kNotFound, "no tenant '" + id + "'", "id");
  return read_tenant(*rows, 0);
}

StoreResult<Tenant> TenantStore::set_disabled(const std::string& id, bool disabled) {
  const std::string sql = std::string(
                              "UPDATE tenants SET disabled_at = CASE WHEN $2::boolean"
                              " THEN coalesce(disabled_at, now()) END WHERE id = $1 RETURNING ") +
                          kColumns;
  auto rows = pool_.query(sql.c_str(), {id, disabled ? "true" : "false"});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  if (rows->empty()) return store_error(StoreErrc::kNotFound, "no tenant '" + id + "'", "id");
  return read_tenant(*rows, 0);
}

}  // namespace aether::api
