// JetStream key-value buckets (aether_workers heartbeats, aether_leases
// leader leases): get, put, create-if-absent, compare-and-set update,
// delete, and watches.
//
// Lifecycle: KvBucket::open() binds to an existing bucket (see ensure_kv /
// provision). Copies share the handle. Threads: every KvBucket method is safe
// from any thread. A KvWatcher is used by one thread; stop() may be called
// from another to end a blocked next(). KvWatch runs a callback on its own
// thread until stopped or destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "aether/bus/connection.hpp"
#include "aether/bus/errors.hpp"
#include "aether/bus/handles.hpp"

namespace aether::bus {

enum class KvOp { kPut, kDelete, kPurge };

struct KvEntry {
  std::string key;
  std::string value;
  std::uint64_t revision = 0;
  KvOp op = KvOp::kPut;
};

class KvWatcher {
 public:
  // Next change. nullopt marks "all current values delivered" (once, after
  // the initial values); kTimeout when nothing happened within `timeout`;
  // kNotFound after stop().
  [[nodiscard]] Result<std::optional<KvEntry>> next(std::chrono::milliseconds timeout);
  void stop();

  explicit KvWatcher(std::shared_ptr<void> owner, KvWatcherPtr watcher)
      : owner_(std::move(owner)), watcher_(std::move(watcher)) {}

 private:
  std::shared_ptr<void> owner_;
  KvWatcherPtr watcher_;
};

// A watch delivering to a callback on its own thread. Stops on destruction.
class KvWatch {
 public:
  KvWatch(KvWatcher watcher, std::function<void(const KvEntry&)> callback);
  ~KvWatch();
  KvWatch(const KvWatch&) = delete;
  KvWatch& operator=(const KvWatch&) = delete;
  void stop();

 private:
  std::shared_ptr<KvWatcher> watcher_;
  std::jthread thread_;
};

struct KvWatchOptions {
  bool include_history = false;
  bool ignore_deletes = false;
  bool updates_only = false;  // skip current values (and the end-of-initial marker)
};

class KvBucket {
 public:
  [[nodiscard]] static Result<KvBucket> open(Connection& connection, const std::string& bucket);

  [[nodiscard]] Result<KvEntry> get(const std::string& key);  // kNotFound if absent/deleted
  [[nodiscard]] Result<std::uint64_t> put(const std::string& key, std::string_view value);
  // Only if the key has no live value; else kWrongLastRevision.
  [[nodiscard]] Result<std::uint64_t> create(const std::string& key, std::string_view value);
  // Only if the key's revision is still `last_revision`; else kWrongLastRevision.
  [[nodiscard]] Result<std::uint64_t> update(const std::string& key, std::string_view value,
                                             std::uint64_t last_revision);
  [[nodiscard]] Result<void> erase(const std::string& key);

  // keys: a key or a pattern ("workers.*", ">").
  [[nodiscard]] Result<KvWatcher> watch(const std::string& keys, KvWatchOptions options = {});
  [[nodiscard]] Result<std::unique_ptr<KvWatch>> watch(const std::string& keys,
                                                       std::function<void(const KvEntry&)> callback,
                                                       KvWatchOptions options = {});

  [[nodiscard]] const std::string& bucket() const;

  struct State;

 private:
  explicit KvBucket(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace aether::bus
