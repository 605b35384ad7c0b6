// Heartbeat: WorkerStatus into KV aether_workers.
#include "heartbeat.hpp"

#include <spdlog/spdlog.h>

namespace aether::worker {

void Heartbeat::start(bus::KvBucket& bucket) {
  thread_ = std::jthread([this, &bucket](std::stop_token s) { loop(s, bucket); });
}

void Heartbeat::loop(std::stop_token stop, bus::KvBucket& bucket) {
  while (!stop.stop_requested()) {
    const auto value = status_().SerializeAsString();
    if (auto put = bucket.put(worker_id_, value); !put) {
      spdlog::warn("vm-worker: heartbeat to KV aether_workers failed: {}", put.error().message);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, stop, interval_, [&] { return dirty_; });
    dirty_ = false;
  }
}

void Heartbeat::changed() {
  {
    std::lock_guard lock(mutex_);
    dirty_ = true;
  }
  cv_.notify_all();
}

}  // namespace aether::worker
