#include "aether/redis/leased_rate_limiter.hpp"

#include <algorithm>

namespace aether::redis {

using std::chrono::milliseconds;
using Time = std::chrono::steady_clock::time_point;

std::int64_t LeasedRateLimiter::lease_size(const Rate& rate) const {
  if (options_.lease_ttl.count() <= 0) return 1;
  const auto by_rate = static_cast<std::int64_t>(
      rate.tokens_per_second * std::chrono::duration<double>(options_.lease_ttl).count());
  return std::max<std::int64_t>(1, std::min({options_.max_lease, rate.burst / 4, by_rate}));
}

Decision LeasedRateLimiter::local_answer(Bucket& b, bool allowed, Time now) {
  Decision d = b.last;
  d.allowed = allowed;
  d.granted = allowed ? 1 : 0;
  if (allowed) {
    d.remaining = std::min(d.limit, b.last.remaining + b.tokens);
    d.retry_after = milliseconds(0);
  } else {
    d.remaining = 0;
    d.retry_after = std::max(milliseconds(1), std::chrono::ceil<milliseconds>(b.retry_at - now));
  }
  return d;
}

std::string LeasedRateLimiter::bucket_key(std::string_view subject, std::string_view route_class) {
  std::string key;
  key.reserve(route_class.size() + 1 + subject.size());
  key.append(route_class).append(1, '\n').append(subject);
  return key;
}

std::optional<Decision> LeasedRateLimiter::local_check(const std::string& key) {
  std::lock_guard lock(mutex_);
  const auto now = options_.now();
  auto it = buckets_.find(key);
  if (it == buckets_.end()) return std::nullopt;
  Bucket& b = it->second;
  if (b.tokens > 0 && now < b.expires) {
    --b.tokens;
    return local_answer(b, true, now);
  }
  if (now < b.recheck_at) return local_answer(b, false, now);
  return std::nullopt;
}

std::optional<Decision> LeasedRateLimiter::try_check(std::string_view subject,
                                                     std::string_view route_class) {
  const auto rate = remote_.rates().find(route_class);
  if (rate == remote_.rates().end() || subject.empty() || lease_size(rate->second) <= 1) {
    return std::nullopt;
  }
  return local_check(bucket_key(subject, route_class));
}

Result<Decision> LeasedRateLimiter::check(std::string_view subject, std::string_view route_class) {
  const auto rate = remote_.rates().find(route_class);
  if (rate == remote_.rates().end() || subject.empty()) {
    return remote_.check(subject, route_class);  // its error names what is wrong
  }
  const std::int64_t size = lease_size(rate->second);
  if (size <= 1) {
    ++remote_calls_;
    return remote_.check(subject, route_class);  // exact, as without leases
  }
  const std::string key = bucket_key(subject, route_class);
  if (auto local = local_check(key)) return *local;
  ++remote_calls_;
  auto leased = remote_.lease(subject, route_class, size);
  if (!leased) return leased;
  std::lock_guard lock(mutex_);
  const auto now = options_.now();
  if (buckets_.size() >= options_.max_keys && !buckets_.contains(key)) {
    std::erase_if(buckets_, [&](const auto& kv) {
      return kv.second.expires <= now && kv.second.recheck_at <= now;
    });
    if (buckets_.size() >= options_.max_keys) buckets_.clear();
  }
  Bucket& b = buckets_[key];
  b.last = *leased;
  if (leased->granted > 0) {
    // Another thread's lease may still hold tokens: keep them, same expiry rule.
    b.tokens = (now < b.expires ? b.tokens : 0) + leased->granted - 1;
    b.expires = now + options_.lease_ttl;
    b.recheck_at = {};
    Decision d = *leased;
    d.granted = 1;
    d.remaining = std::min(d.limit, d.remaining + b.tokens);
    return d;
  }
  b.retry_at = now + leased->retry_after;
  b.recheck_at = now + std::min(leased->retry_after, options_.lease_ttl);
  return *leased;
}

}  // namespace aether::redis
