// Every live worker's WorkerStatus, as it put it into KV aether_workers at its
// last heartbeat (a dead worker's key has expired). Read by GET /v1/workers
// and GET /v1/templates. A value that is not a WorkerStatus is logged and left
// out. Threads: any.
#pragma once

#include <expected>
#include <vector>

#include "aether/bus/connection.hpp"
#include "aether/rest/message.hpp"
#include "aether/v1/worker.pb.h"

namespace aether::api {

// The statuses, or the problem answer (503/502) when the bucket cannot be read.
[[nodiscard]] std::expected<std::vector<v1::WorkerStatus>, rest::Response> read_worker_statuses(
    bus::Connection& bus);

}  // namespace aether::api
