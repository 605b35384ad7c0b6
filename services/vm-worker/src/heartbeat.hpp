// Heartbeat: puts this worker's WorkerStatus into KV aether_workers (key =
// worker id) every interval and within ~20 ms of changed() (so peers see a
// change of free room for fairness), at most one put per 20 ms.
//
// Lifecycle: start(bucket) runs its thread, stop() joins it.
// Threads: changed() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "aether/bus/kv.hpp"
#include "aether/v1/worker.pb.h"

namespace aether::worker {

class Heartbeat {
 public:
  Heartbeat(std::string worker_id, std::chrono::milliseconds interval,
            std::function<v1::WorkerStatus()> status)
      : worker_id_(std::move(worker_id)), interval_(interval), status_(std::move(status)) {}

  void start(bus::KvBucket& bucket);
  void stop() { thread_ = {}; }
  void changed();  // the free room changed: put soon

 private:
  void loop(std::stop_token stop, bus::KvBucket& bucket);

  const std::string worker_id_;
  const std::chrono::milliseconds interval_;
  const std::function<v1::WorkerStatus()> status_;
  std::mutex mutex_;
  std::condition_variable_any cv_;
  bool dirty_ = false;  // guarded by mutex_
  std::jthread thread_;
};

}  // namespace aether::worker
