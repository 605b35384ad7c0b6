#include "authenticator.hpp"

#include <algorithm>

#include "aether/digest/sha256.hpp"
#include "api_key.hpp"

namespace aether::api {
namespace {

std::unexpected<AuthError> refuse(AuthErrc code, std::string message) {
  return std::unexpected(AuthError{code, std::move(message)});
}

}  // namespace

bool Principal::has_scope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

int AuthError::http_status() const {
  switch (code) {
    case AuthErrc::kUnavailable:
      return 503;
    case AuthErrc::kInternal:
      return 500;
    default:
      return 401;
  }
}

Authenticator::Authenticator(ApiKeyStore& keys, AuthOptions options)
    : keys_(keys), options_(std::move(options)) {}

std::expected<std::string_view, AuthError> Authenticator::bearer_key(
    std::string_view authorization) {
  if (authorization.empty()) {
    return refuse(AuthErrc::kMissing, "missing Authorization header (Bearer <key>)");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() < kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return refuse(AuthErrc::kMalformed, "Authorization must be 'Bearer <key>'");
  }
  std::string_view key = authorization.substr(kBearer.size());
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
  if (key.empty()) return refuse(AuthErrc::kMissing, "missing API key");
  if (!key_prefix(key)) return refuse(AuthErrc::kMalformed, "not an Aether API key (ak_...)");
  return key;
}

std::expected<Principal, AuthError> Authenticator::authenticate_header(
    std::string_view authorization) {
  auto key = bearer_key(authorization);
  if (!key) return std::unexpected(key.error());
  return authenticate(*key);
}

std::optional<std::expected<Principal, AuthError>> Authenticator::cached_header(
    std::string_view authorization) const {
  auto key = bearer_key(authorization);
  if (!key) return std::unexpected(key.error());
  const std::string digest = digest::sha256_hex(*key);
  std::lock_guard lock(mutex_);
  auto it = cache_.find(digest);
  if (it == cache_.end() || options_.steady_now() >= it->second.cached_until) return std::nullopt;
  return from_entry(it->second);
}

std::expected<Principal, AuthError> Authenticator::from_entry(const Entry& e) const {
  if (!e.principal) return std::unexpected(e.refusal);
  if (e.expires_epoch && options_.unix_now() >= *e.expires_epoch) {
    return refuse(AuthErrc::kExpired, "API key has expired");
  }
  return *e.principal;
}

std::expected<Principal, AuthError> Authenticator::authenticate(std::string_view key) {
  if (key.empty()) return refuse(AuthErrc::kMissing, "missing API key");
  auto prefix = key_prefix(key);
  if (!prefix) return refuse(AuthErrc::kMalformed, "not an Aether API key (ak_...)");
  const std::string digest = digest::sha256_hex(key);
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(digest);
    if (it != cache_.end()) {
      if (options_.steady_now() < it->second.cached_until) return from_entry(it->second);
      cache_.erase(it);
    }
  }
  auto found = keys_.lookup(*prefix);
  if (!found) {
    if (found.error().code == StoreErrc::kUnavailable) {
      return refuse(AuthErrc::kUnavailable, "cannot check the API key now: database unavailable");
    }
    return refuse(AuthErrc::kInternal, "cannot check the API key: " + found.error().message);
  }
  if (!found->has_value() || !constant_time_equal((*found)->key_sha256, digest)) {
    return refuse(AuthErrc::kUnknownKey, "unknown API key");
  }
  const KeyCredential& c = **found;
  Entry entry;
  entry.expires_epoch = c.expires_epoch;
  entry.cached_until = options_.steady_now() + options_.cache_ttl;
  if (c.revoked) {
    entry.refusal = {AuthErrc::kRevoked, "API key " + c.key.prefix + " has been revoked"};
  } else if (c.tenant_disabled) {
    entry.refusal = {AuthErrc::kTenantDisabled,
                     "tenant of API key " + c.key.prefix + " is disabled"};
  } else if (c.expired) {
    entry.refusal = {AuthErrc::kExpired, "API key " + c.key.prefix + " has expired"};
  } else {
    entry.principal = Principal{c.key.tenant_id, c.key.id, c.key.prefix, c.key.scopes};
    (void)keys_.touch(c.key.id);  // best effort: last_used_at is informative only
  }
  auto result = from_entry(entry);
  remember(digest, std::move(entry));
  return result;
}

void Authenticator::remember(const std::string& digest, Entry entry) {
  std::lock_guard lock(mutex_);
  if (cache_.size() >= options_.max_entries) {
    const auto now = options_.steady_now();
    std::erase_if(cache_, [&](const auto& kv) { return kv.second.cached_until <= now; });
    if (cache_.size() >= options_.max_entries) cache_.clear();
  }
  cache_[digest] = std::move(entry);
}

void Authenticator::forget(const std::string& key_id) {
  std::lock_guard lock(mutex_);
  std::erase_if(cache_, [&](const auto& kv) {
    return kv.second.principal ? kv.second.principal->key_id == key_id : true;
  });
}

void Authenticator::clear() {
  std::lock_guard lock(mutex_);
  cache_.clear();
}

std::size_t Authenticator::cache_size() const {
  std::lock_guard lock(mutex_);
  return cache_.size();
}

}  // namespace aether::api
