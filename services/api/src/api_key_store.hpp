// API keys of a tenant: issue (the key is returned once, only its sha256 is
// stored), look up by public prefix (for the Authenticator), list, revoke.
// Scopes: "vms" (the VM routes) and "operator" (the operator routes); any
// other name is kInvalid naming "scopes".
// Threads: any; no state of its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aether/pg/pool.hpp"
#include "store_error.hpp"

namespace aether::api {

inline constexpr std::string_view kScopeVms = "vms";
inline constexpr std::string_view kScopeOperator = "operator";

struct ApiKey {
  std::string id;  // uuid
  std::string tenant_id;
  std::string prefix;  // "ak_3f9c2b1e07d4", public
  std::string name;
  std::vector<std::string> scopes;
  std::string created_at;                   // RFC 3339
  std::optional<std::string> expires_at;    // RFC 3339
  std::optional<std::string> revoked_at;    // RFC 3339
  std::optional<std::string> last_used_at;  // RFC 3339
};

struct NewApiKey {
  std::string tenant_id;
  std::string name;
  std::vector<std::string> scopes{std::string(kScopeVms)};
  std::optional<std::string> expires_at;  // RFC 3339; nullopt: never
};

struct IssuedApiKey {
  ApiKey key;
  std::string secret;  // the whole key ("ak_..._..."): show once, never stored
};

// What authentication needs about one prefix.
struct KeyCredential {
  ApiKey key;
  std::string key_sha256;
  bool revoked = false;
  bool expired = false;                 // expires_at <= now() at lookup time
  std::optional<double> expires_epoch;  // expires_at as Unix seconds, for cached checks
  bool tenant_disabled = false;
};

class ApiKeyStore {
 public:
  explicit ApiKeyStore(pg::Pool& pool) : pool_(pool) {}

  // kNotFound (field "tenant") when the tenant does not exist, kInvalid for a
  // bad scope or expires_at.
  [[nodiscard]] StoreResult<IssuedApiKey> issue(const NewApiKey& key);
  // nullopt: no key with that prefix.
  [[nodiscard]] StoreResult<std::optional<KeyCredential>> lookup(const std::string& prefix);
  // A tenant's keys, newest first (no secrets, no hashes).
  [[nodiscard]] StoreResult<std::vector<ApiKey>> list(const std::string& tenant_id);
  // Sets revoked_at once; kNotFound when no such key (in that tenant, when
  // tenant_id is given: a tenant never revokes another's key).
  [[nodiscard]] StoreResult<ApiKey> revoke(const std::string& key_id,
                                           const std::optional<std::string>& tenant_id = {});
  // last_used_at = now() (the Authenticator calls it once per cache fill).
  [[nodiscard]] StoreResult<void> touch(const std::string& key_id);

 private:
  pg::Pool& pool_;
};

}  // namespace aether::api
