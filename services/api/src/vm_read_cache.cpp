#include "vm_read_cache.hpp"

#include <mutex>

namespace aether::api {

std::optional<std::optional<VmRecord>> VmReadCache::peek(const std::string& tenant_id,
                                                         const std::string& id) {
  if (!enabled()) return std::nullopt;
  const auto now = options_.now();
  std::shared_lock lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end() || now >= it->second.until || !it->second.row) return std::nullopt;
  ++hits_;
  if (it->second.row->tenant_id != tenant_id) return std::optional<VmRecord>();
  return it->second.row;
}

StoreResult<std::optional<VmRecord>> VmReadCache::get(const std::string& tenant_id,
                                                      const std::string& id, const Loader& load) {
  if (!enabled()) return load(tenant_id, id);
  const auto now = options_.now();
  bool held = false;
  {
    std::shared_lock lock(mutex_);
    auto it = entries_.find(id);
    if (it != entries_.end() && now < it->second.until) {
      if (it->second.row) {
        ++hits_;
        if (it->second.row->tenant_id != tenant_id) return std::optional<VmRecord>();
        return it->second.row;
      }
      held = true;
    }
  }
  ++misses_;
  const auto generation = generation_.load();
  auto row = load(tenant_id, id);
  if (held || !row || !*row) return row;
  std::unique_lock lock(mutex_);
  if (generation_.load() != generation) return row;  // invalidated meanwhile: maybe old
  if (entries_.size() >= options_.max_entries) {
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.until <= now; });
    if (entries_.size() >= options_.max_entries) entries_.clear();
  }
  entries_[id] = Entry{**row, now + options_.ttl};
  return row;
}

void VmReadCache::drop(const std::string& id, std::optional<std::chrono::milliseconds> hold) {
  if (!enabled()) return;
  std::unique_lock lock(mutex_);
  ++generation_;
  if (hold && hold->count() > 0) {
    entries_[id] = Entry{std::nullopt, options_.now() + *hold};
  } else {
    entries_.erase(id);
  }
}

void VmReadCache::invalidate(const std::string& id) { drop(id, std::nullopt); }

void VmReadCache::invalidate_pending(const std::string& id) { drop(id, options_.hold); }

void VmReadCache::clear() {
  std::unique_lock lock(mutex_);
  ++generation_;
  entries_.clear();
}

VmReadCache::Stats VmReadCache::stats() const {
  return {hits_.load(), misses_.load(), generation_.load()};
}

std::size_t VmReadCache::size() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

}  // namespace aether::api
