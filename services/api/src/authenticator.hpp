// Bearer key -> Principal (tenant, key, scopes), with a short TTL cache that
// keeps the hot path off PostgreSQL.
//
// A key is checked by its shape first (api_key.hpp: a malformed one never
// reaches the database), then found by its public prefix and compared by
// sha256 in constant time. Results for a key whose hash matched are cached
// for `cache_ttl` under the sha256 of the presented key (the key itself is
// never kept): accepted keys, and refused ones (revoked, expired, tenant
// disabled) so a leaked revoked key costs no queries either. Unknown keys are
// not cached (no memory for guessing). Hence the guarantee, documented in
// the README: a key revoked or a tenant disabled elsewhere is refused within
// `cache_ttl` (default 5 s); forget() on this replica makes it immediate; a
// key's expires_at is checked on every hit, so expiry is exact.
//
// Threads: authenticate() from any number of threads; the cache is guarded
// by mutex_.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api_key_store.hpp"

namespace aether::api {

struct Principal {
  std::string tenant_id;
  std::string key_id;
  std::string key_prefix;
  std::vector<std::string> scopes;
  [[nodiscard]] bool has_scope(std::string_view scope) const;
};

enum class AuthErrc {
  kMissing,         // 401: no Authorization header / empty key
  kMalformed,       // 401: not "Bearer <key>" or not the key format
  kUnknownKey,      // 401: no such key, or the secret does not match
  kRevoked,         // 401
  kExpired,         // 401
  kTenantDisabled,  // 401 (403 would tell a stranger the key once worked)
  kUnavailable,     // 503: PostgreSQL unavailable
  kInternal,        // 500
};

struct AuthError {
  AuthErrc code;
  std::string message;  // safe to show the caller
  [[nodiscard]] int http_status() const;
};

struct AuthOptions {
  std::chrono::milliseconds cache_ttl{5000};  // AETHER_API_AUTH_CACHE_TTL
  std::size_t max_entries = 100'000;          // full: expired entries dropped, then all
  // Clocks, injectable for tests: steady for the cache, Unix seconds for expires_at.
  std::function<std::chrono::steady_clock::time_point()> steady_now = [] {
    return std::chrono::steady_clock::now();
  };
  std::function<double()> unix_now = [] {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
};

class Authenticator {
 public:
  Authenticator(ApiKeyStore& keys, AuthOptions options = {});

  // The key as sent (after "Bearer ").
  [[nodiscard]] std::expected<Principal, AuthError> authenticate(std::string_view key);
  // The whole Authorization header value ("Bearer ak_..."); empty: kMissing.
  [[nodiscard]] std::expected<Principal, AuthError> authenticate_header(
      std::string_view authorization);

  // authenticate_header() answered from memory only, for the io thread: a
  // missing or malformed header, or a key whose result is cached; nullopt when
  // it would need PostgreSQL (not cached, or the entry is older than the TTL).
  [[nodiscard]] std::optional<std::expected<Principal, AuthError>> cached_header(
      std::string_view authorization) const;

  // Drops cached results for a key id (call after revoking it here).
  void forget(const std::string& key_id);
  void clear();
  [[nodiscard]] std::size_t cache_size() const;

 private:
  struct Entry {
    std::optional<Principal> principal;  // nullopt: refused with `refusal`
    AuthError refusal{AuthErrc::kUnknownKey, ""};
    std::optional<double> expires_epoch;
    std::chrono::steady_clock::time_point cached_until;
  };
  [[nodiscard]] std::expected<Principal, AuthError> from_entry(const Entry& e) const;
  // The key of a Bearer header, or why the header is refused.
  [[nodiscard]] static std::expected<std::string_view, AuthError> bearer_key(
      std::string_view authorization);
  void remember(const std::string& digest, Entry entry);

  ApiKeyStore& keys_;
  AuthOptions options_;
  mutable std::mutex mutex_;                      // guards cache_
  std::unordered_map<std::string, Entry> cache_;  // sha256(key) -> result
};

}  // namespace aether::api
