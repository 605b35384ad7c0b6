// WorkerClassView: which create classes the live workers serve (the class
// names in their WorkerStatus, KV aether_workers, kept current by a watch),
// so POST /v1/vms can refuse a create that no worker would ever fetch: the
// api's AETHER_VM_CLASSES differs from the workers', and the command would
// sit in AETHER_CMDS for good.
//
// Only workers that reported a class table in the last `stale_after` count.
// With none (no worker yet: the autoscaler may be scaling from zero) every
// class is taken.
//
// Lifecycle: start() opens the watch (its own thread); the destructor ends it.
// Threads: update() and unserved() are safe from any thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "aether/bus/kv.hpp"

namespace aether::api {

class WorkerClassView {
 public:
  explicit WorkerClassView(std::chrono::milliseconds stale_after = std::chrono::seconds(30))
      : stale_after_(stale_after) {}
  ~WorkerClassView();
  WorkerClassView(const WorkerClassView&) = delete;
  WorkerClassView& operator=(const WorkerClassView&) = delete;

  // Error: the bucket cannot be watched (the message says why).
  [[nodiscard]] std::optional<std::string> start(bus::Connection& bus);
  // Applies one KV entry (a put of a WorkerStatus, or a delete).
  void update(const bus::KvEntry& entry);
  // Why a create of class `name` would wait forever, or nullopt when some
  // live worker serves it (or no live worker has said what it serves).
  [[nodiscard]] std::optional<std::string> unserved(std::string_view name) const;

 private:
  struct Seen {
    std::set<std::string> classes;
    std::chrono::steady_clock::time_point at;
  };
  const std::chrono::milliseconds stale_after_;
  mutable std::mutex mutex_;
  std::map<std::string, Seen> workers_;  // guarded by mutex_
  std::unique_ptr<bus::KvWatch> watch_;
};

}  // namespace aether::api
