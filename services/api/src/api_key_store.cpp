#include "api_key_store.hpp"

#include "api_key.hpp"
#include "ids.hpp"
#include "sql_time.hpp"
#include "tenant_store.hpp"

namespace aether::api {
namespace {

#define AETHER_KEY_COLUMNS \
  "k.id, k.tenant_id, k.prefix, k.name, k.scopes, " AETHER_SQL_TIME("k.created_at") ", " \
      AETHER_SQL_TIME("k.expires_at") ", " AETHER_SQL_TIME("k.revoked_at") ", "          \
      AETHER_SQL_TIME("k.last_used_at")

ApiKey read_key(const pg::Rows& rows, int r) {
  return ApiKey{rows.str(r, 0),     rows.str(r, 1),        rows.str(r, 2),
                rows.str(r, 3),     rows.text_array(r, 4), rows.str(r, 5),
                rows.opt_str(r, 6), rows.opt_str(r, 7),    rows.opt_str(r, 8)};
}

}  // namespace

StoreResult<IssuedApiKey> ApiKeyStore::issue(const NewApiKey& k) {
  for (const auto& s : k.scopes) {
    if (s != kScopeVms && s != kScopeOperator) {
      return store_error(StoreErrc::kInvalid,
                         "unknown scope '" + s.substr(0, 40) + "' (known: vms, operator)",
                         "scopes");
    }
  }
  if (!valid_tenant_id(k.tenant_id)) {
    return store_error(StoreErrc::kNotFound, "no tenant '" + k.tenant_id.substr(0, 80) + "'",
                       "tenant");
  }
  // A prefix collision (48 random bits) is retried with a fresh key.
  for (int attempt = 0;; ++attempt) {
    GeneratedKey g = generate_api_key();
    auto rows = pool_.query(
        "INSERT INTO api_keys AS k (id, tenant_id, prefix, key_sha256, name, scopes, expires_at)"
        " VALUES ($1::uuid, $2, $3, $4, $5, $6::text[], $7::timestamptz)"
        " RETURNING " AETHER_KEY_COLUMNS,
        {new_uuid_v4(), k.tenant_id, g.prefix, g.sha256, k.name, pg::text_array_literal(k.scopes),
         k.expires_at});
    if (rows) return IssuedApiKey{read_key(*rows, 0), std::move(g.key)};
    const auto& e = rows.error();
    if (e.code == pg::Errc::kConflict && e.constraint == "api_keys_prefix_key" && attempt < 3) {
      continue;
    }
    if (e.code == pg::Errc::kInvalid && e.constraint == "api_keys_tenant_id_fkey") {
      return store_error(StoreErrc::kNotFound, "no tenant '" + k.tenant_id + "'", "tenant");
    }
    if (e.code == pg::Errc::kInvalid && e.sqlstate.starts_with("22")) {
      return store_error(StoreErrc::kInvalid,
                         "expires_at is not an RFC 3339 timestamp: " + e.message, "expires_at");
    }
    return std::unexpected(StoreError(e));
  }
}

StoreResult<std::optional<KeyCredential>> ApiKeyStore::lookup(const std::string& prefix) {
  auto rows = pool_.query("SELECT " AETHER_KEY_COLUMNS
                          ", k.key_sha256, k.revoked_at IS NOT NULL,"
                          " coalesce(k.expires_at <= now(), false),"
                          " extract(epoch FROM k.expires_at)::float8, t.disabled_at IS NOT NULL"
                          " FROM api_keys k JOIN tenants t ON t.id = k.tenant_id"
                          " WHERE k.prefix = $1",
                          {prefix});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  if (rows->empty()) return std::optional<KeyCredential>();
  KeyCredential c;
  c.key = read_key(*rows, 0);
  c.key_sha256 = rows->str(0, 9);
  c.revoked = rows->boolean(0, 10);
  c.expired = rows->boolean(0, 11);
  if (!rows->is_null(0, 12)) c.expires_epoch = std::stod(rows->str(0, 12));
  c.tenant_disabled = rows->boolean(0, 13);
  return c;
}

StoreResult<std::vector<ApiKey>> ApiKeyStore::list(const std::string& tenant_id) {
  auto rows = pool_.query("SELECT " AETHER_KEY_COLUMNS
                          " FROM api_keys k WHERE k.tenant_id = $1 ORDER BY k.created_at DESC",
                          {tenant_id});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  std::vector<ApiKey> out;
  for (int r = 0; r < rows->size(); ++r) out.push_back(read_key(*rows, r));
  return out;
}

StoreResult<ApiKey> ApiKeyStore::revoke(const std::string& key_id,
                                        const std::optional<std::string>& tenant_id) {
  if (!is_uuid(key_id))
    return store_error(StoreErrc::kNotFound, "no key '" + key_id.substr(0, 40) + "'", "id");
  auto rows = pool_.query(
      "UPDATE api_keys k SET revoked_at = coalesce(revoked_at, now())"
      " WHERE k.id = $1::uuid AND ($2::text IS NULL OR k.tenant_id = $2)"
      " RETURNING " AETHER_KEY_COLUMNS,
      {key_id, tenant_id});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  if (rows->empty()) return store_error(StoreErrc::kNotFound, "no key '" + key_id + "'", "id");
  return read_key(*rows, 0);
}

StoreResult<void> ApiKeyStore::touch(const std::string& key_id) {
  auto rows = pool_.query("UPDATE api_keys SET last_used_at = now() WHERE id = $1::uuid", {key_id});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  return {};
}

}  // namespace aether::api
