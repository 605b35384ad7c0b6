// LeasedRateLimiter: the per-key limit of RateLimiter (one shared bucket in
// Redis per (subject, route class), so it holds across replicas) without a
// Redis round trip per request. Each replica leases a batch of tokens from
// the shared bucket (RateLimiter::lease: up to lease_size in one EVALSHA)
// and spends them locally; only when its local share is spent, or older
// than `lease_ttl`, does it ask Redis again. A denial is remembered locally
// until Redis said to retry, but at most `lease_ttl`.
//
// What that changes, bounded (README "Leased tokens"):
//   - never more admitted in total than the shared bucket gives out, since
//     every admitted request spent a token already taken from it; but a
//     leased token may be spent up to lease_ttl after Redis gave it, so in a
//     window each replica can admit up to lease_size - 1 tokens it leased
//     just before the window: at most replicas x (lease_size - 1) over a
//     burst;
//   - a replica's unspent tokens expire with their lease (under-admission of
//     at most lease_size - 1 per key and replica per lease_ttl);
//   - lease_size = min(max_lease, burst / 4, rate x lease_ttl), at least 1: a
//     class whose rate x lease_ttl is below 2 is exact, as before (one
//     EVALSHA per request).
//   - RateLimit-Remaining is the shared bucket's at the last lease plus this
//     replica's unspent share.
//
// Threads: check() from any thread (a mutex around the local buckets; the
// Redis call is made outside it).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "aether/redis/rate_limiter.hpp"

namespace aether::redis {

struct LeaseOptions {
  std::chrono::milliseconds lease_ttl{100};  // AETHER_RATE_LIMIT_LEASE; 0: no leasing
  std::int64_t max_lease = 64;
  std::size_t max_keys = 100'000;  // local buckets; full: expired dropped, then all
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
};

class LeasedRateLimiter {
 public:
  // `remote` must outlive this object.
  explicit LeasedRateLimiter(const RateLimiter& remote, LeaseOptions options = {})
      : remote_(remote), options_(std::move(options)) {}

  // One request's check, as RateLimiter::check(subject, route_class, 1).
  [[nodiscard]] Result<Decision> check(std::string_view subject, std::string_view route_class);

  // check() answered from this replica's share only, never calling Redis
  // (for a thread that must not block): a token spent from the local lease,
  // or the local denial; nullopt when check() would ask Redis (no lease, or
  // it is spent or expired, or the class is exact or unknown). Nothing is
  // spent then.
  [[nodiscard]] std::optional<Decision> try_check(std::string_view subject,
                                                  std::string_view route_class);

  [[nodiscard]] std::int64_t lease_size(const Rate& rate) const;
  // Redis round trips made so far (for tests and the bench).
  [[nodiscard]] std::uint64_t remote_calls() const { return remote_calls_.load(); }

 private:
  struct Bucket {
    std::int64_t tokens = 0;  // leased, unspent
    std::chrono::steady_clock::time_point expires{};
    std::chrono::steady_clock::time_point recheck_at{};  // denied until then (locally)
    std::chrono::steady_clock::time_point retry_at{};    // what Redis said for the denial
    Decision last;                                       // Redis' last answer
  };
  [[nodiscard]] static Decision local_answer(Bucket& b, bool allowed,
                                             std::chrono::steady_clock::time_point now);
  [[nodiscard]] static std::string bucket_key(std::string_view subject,
                                              std::string_view route_class);
  // The local bucket's answer under mutex_; nullopt: Redis is needed.
  [[nodiscard]] std::optional<Decision> local_check(const std::string& key);

  const RateLimiter& remote_;
  LeaseOptions options_;
  std::mutex mutex_;                                 // guards buckets_
  std::unordered_map<std::string, Bucket> buckets_;  // "<class>\n<subject>"
  std::atomic<std::uint64_t> remote_calls_{0};
};

}  // namespace aether::redis
