#include "worker_statuses.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "aether/bus/jetstream.hpp"
#include "aether/bus/kv.hpp"
#include "vm_json.hpp"

namespace aether::api {

std::expected<std::vector<v1::WorkerStatus>, rest::Response> read_worker_statuses(
    bus::Connection& bus) {
  auto bucket = bus::KvBucket::open(bus, std::string(bus::kWorkersBucket));
  if (!bucket) return std::unexpected(bus_problem(bucket.error(), "no workers bucket").response());
  auto watcher = bucket->watch(">", {.ignore_deletes = true});
  if (!watcher) {
    return std::unexpected(
        bus_problem(watcher.error(), "cannot read the workers bucket").response());
  }
  std::vector<v1::WorkerStatus> statuses;
  for (;;) {
    auto next = watcher->next(std::chrono::seconds(5));
    if (!next) {
      return std::unexpected(
          bus_problem(next.error(), "cannot read the workers bucket").response());
    }
    if (!next->has_value()) break;  // every current value delivered
    v1::WorkerStatus status;
    if (!status.ParseFromString((*next)->value)) {
      spdlog::warn("api: KV {} key {}: not a WorkerStatus; left out", bus::kWorkersBucket,
                   (*next)->key);
      continue;
    }
    statuses.push_back(std::move(status));
  }
  return statuses;
}

}  // namespace aether::api
