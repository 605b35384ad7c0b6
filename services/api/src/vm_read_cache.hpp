// VmReadCache: the hot read (GET /v1/vms/{id}) from memory. Rows read from
// PostgreSQL are kept for `ttl`; what changes a row drops it:
//   - invalidate(id): after the row changed in PostgreSQL (the in-process
//     projector after each COMMIT, the api's own mark_failed/mark_deleted);
//   - invalidate_pending(id): an event for the VM was seen on the bus
//     (vm_cache_invalidator.hpp), its row may not be committed yet: dropped
//     and not cached again for `hold`, so a read racing the projector's
//     COMMIT is served from PostgreSQL, not remembered.
// A load that raced an invalidation of any id is not stored (a global
// generation), so an old row cannot be put back after its invalidation.
// Tenant scoping: an entry carries its tenant; another tenant's id is "not
// found" exactly as PostgreSQL answers it (an event never changes a VM's
// tenant, event_projection.hpp). Misses and errors are never cached.
// Threads: any; one shared_mutex (hits take it shared).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "vm_store.hpp"

namespace aether::api {

struct VmReadCacheOptions {
  std::chrono::milliseconds ttl{1000};   // AETHER_API_VM_CACHE_TTL; 0: no cache
  std::chrono::milliseconds hold{1000};  // after invalidate_pending
  std::size_t max_entries = 100'000;     // full: expired entries dropped, then all
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
};

class VmReadCache {
 public:
  using Loader = std::function<StoreResult<std::optional<VmRecord>>(const std::string& tenant_id,
                                                                    const std::string& id)>;
  explicit VmReadCache(VmReadCacheOptions options = {}) : options_(std::move(options)) {}

  // The caller's VM: from memory when cached and fresh, else from `load`
  // (a found row is then cached). nullopt: no such VM in this tenant.
  [[nodiscard]] StoreResult<std::optional<VmRecord>> get(const std::string& tenant_id,
                                                         const std::string& id, const Loader& load);
  // get() without a load, for a thread that must not block: the cached answer
  // (a row of this tenant, or nullopt for another tenant's), or
  // std::nullopt-of-the-outer when it is not in memory (absent, expired, held)
  // and only get() can answer.
  [[nodiscard]] std::optional<std::optional<VmRecord>> peek(const std::string& tenant_id,
                                                            const std::string& id);
  void invalidate(const std::string& id);
  void invalidate_pending(const std::string& id);
  void clear();

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t invalidations = 0;
  };
  [[nodiscard]] Stats stats() const;
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] bool enabled() const { return options_.ttl.count() > 0; }

 private:
  struct Entry {
    std::optional<VmRecord> row;  // nullopt: held (do not cache until `until`)
    std::chrono::steady_clock::time_point until;
  };
  void drop(const std::string& id, std::optional<std::chrono::milliseconds> hold);

  VmReadCacheOptions options_;
  mutable std::shared_mutex mutex_;                 // guards entries_
  std::unordered_map<std::string, Entry> entries_;  // by VM id
  std::atomic<std::uint64_t> generation_{0};        // bumped by every invalidation
  std::atomic<std::uint64_t> hits_{0}, misses_{0};
};

}  // namespace aether::api
