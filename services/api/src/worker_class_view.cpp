#include "worker_class_view.hpp"

#include "aether/bus/jetstream.hpp"
#include "aether/v1/worker.pb.h"

namespace aether::api {

WorkerClassView::~WorkerClassView() {
  if (watch_) watch_->stop();
}

std::optional<std::string> WorkerClassView::start(bus::Connection& bus) {
  auto bucket = bus::KvBucket::open(bus, std::string(bus::kWorkersBucket));
  if (!bucket) return "KV " + std::string(bus::kWorkersBucket) + ": " + bucket.error().message;
  auto watch = bucket->watch(">", [this](const bus::KvEntry& e) { update(e); });
  if (!watch) return "watching KV " + bucket->bucket() + ": " + watch.error().message;
  watch_ = std::move(*watch);
  return std::nullopt;
}

void WorkerClassView::update(const bus::KvEntry& entry) {
  std::lock_guard lock(mutex_);
  v1::WorkerStatus s;
  if (entry.op != bus::KvOp::kPut || !s.ParseFromString(entry.value) || s.classes().empty()) {
    workers_.erase(entry.key);  // gone, or says nothing about its classes
    return;
  }
  Seen seen{.classes = {}, .at = std::chrono::steady_clock::now()};
  for (const auto& c : s.classes()) seen.classes.insert(c.name());
  workers_[entry.key] = std::move(seen);
}

std::optional<std::string> WorkerClassView::unserved(std::string_view name) const {
  const auto now = std::chrono::steady_clock::now();
  std::set<std::string> served;
  std::lock_guard lock(mutex_);
  for (const auto& [id, seen] : workers_) {
    if (now - seen.at > stale_after_) continue;
    if (seen.classes.contains(std::string(name))) return std::nullopt;
    served.insert(seen.classes.begin(), seen.classes.end());
  }
  if (served.empty()) return std::nullopt;
  std::string list;
  for (const auto& c : served) list += (list.empty() ? "" : ", ") + c;
  return "no live worker serves create class '" + std::string(name) + "' (they serve: " + list +
         "); the api's AETHER_VM_CLASSES differs from the workers'";
}

}  // namespace aether::api
