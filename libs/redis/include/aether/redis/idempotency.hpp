// Idempotency-Key storage for the api's POSTs.
//
// begin() claims (scope, key) for a request whose fingerprint (method, target
// and body, see request_fingerprint()) is given, atomically in one Lua script:
//   kClaimed     nobody had it: run the request, then complete() with the
//                response (or release() it, for an answer that must not be
//                replayed, e.g. a 503 because a dependency was down);
//   kReplay      done before with the same fingerprint: send `response` again
//                (the api adds `Idempotent-Replayed: true`);
//   kMismatch    the key was used with another request: 422;
//   kInProgress  a request with this key is running: 409 with Retry-After.
// (A different request under a running key is kMismatch, not kInProgress.)
// A claim expires after `lock_ttl` (a crashed api never leaves a key stuck);
// refresh() extends it for long requests (`?wait=ready`). A response is kept
// for `response_ttl`. complete(), release() and refresh() act only while the
// claim is still the caller's (a token in the claim), so a request whose lock
// expired and was claimed again cannot overwrite the newer one's result.
//
// Threads: every call is thread-safe (the Pool is; the rest is immutable).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aether/redis/error.hpp"
#include "aether/redis/pool.hpp"
#include "aether/redis/rate_limiter.hpp"  // HttpHeader
#include "aether/redis/script.hpp"

namespace aether::redis {

struct StoredResponse {
  int status = 0;
  std::vector<HttpHeader> headers;  // the ones that matter on replay (Content-Type, Location)
  std::string body;                 // any bytes
};

enum class ClaimState { kClaimed, kReplay, kMismatch, kInProgress };
[[nodiscard]] const char* claim_state_name(ClaimState state);

struct Claim {
  ClaimState state = ClaimState::kMismatch;
  std::optional<StoredResponse> response;  // kReplay only
  std::chrono::milliseconds retry_after{
      0};                 // kInProgress: until the running claim expires at the latest
  std::string redis_key;  // what complete()/release()/refresh() act on
  std::string token;      // kClaimed only: proves the claim is ours
};

struct IdempotencyOptions {
  std::chrono::milliseconds response_ttl = std::chrono::hours(24);
  std::chrono::milliseconds lock_ttl = std::chrono::seconds(90);
  std::string key_prefix = "aether:idem:";  // <prefix><scope>:<Idempotency-Key>
};

// What is wrong with an Idempotency-Key header value (the api's 400), or
// nullopt: 1..255 visible ASCII characters (0x21..0x7e).
[[nodiscard]] std::optional<std::string> idempotency_key_problem(std::string_view key);

// SHA-256 hex of method, request target (path and query) and body.
[[nodiscard]] std::string request_fingerprint(std::string_view method, std::string_view target,
                                              std::string_view body);

class IdempotencyStore {
 public:
  // kInvalidArgument for non-positive TTLs.
  [[nodiscard]] static Result<IdempotencyStore> create(Pool& pool, IdempotencyOptions options = {});

  // `scope` keeps tenants apart (the caller's tenant id); `key` must pass
  // idempotency_key_problem() (else kInvalidArgument).
  [[nodiscard]] Result<Claim> begin(std::string_view scope, std::string_view key,
                                    std::string_view fingerprint) const;
  // Stores the response for replay; false when the claim was no longer ours
  // (it expired), in which case nothing is stored. kInvalidArgument for a
  // claim that is not kClaimed or a header name/value with CR or LF.
  [[nodiscard]] Result<bool> complete(const Claim& claim, const StoredResponse& response) const;
  // Drops the claim (when still ours): the next request with the key runs.
  [[nodiscard]] Result<bool> release(const Claim& claim) const;
  // Extends the claim's lock by lock_ttl (when still ours).
  [[nodiscard]] Result<bool> refresh(const Claim& claim) const;

  [[nodiscard]] const IdempotencyOptions& options() const { return options_; }

 private:
  struct Scripts;
  IdempotencyStore(Pool& pool, IdempotencyOptions options);
  [[nodiscard]] Result<bool> owner_script(const Script& script, const Claim& claim,
                                          std::string_view arg) const;

  Pool* pool_;
  IdempotencyOptions options_;
  std::shared_ptr<const Scripts> scripts_;
};

}  // namespace aether::redis
