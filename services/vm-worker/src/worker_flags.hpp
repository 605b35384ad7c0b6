// The worker's run state, shared read-only by its parts (the Worker sets it),
// and settle(): ack/nak/term of a command with the failure logged.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <string>

#include "aether/bus/errors.hpp"

namespace aether::worker {

struct WorkerFlags {
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  std::atomic<bool> draining{false};
  std::atomic<bool> killed{false};  // kill(): boots still running end silently
};

// Settles a message and logs when that fails (the ack wait then redelivers).
inline void settle(bus::Result<void> result, const std::string& what) {
  if (!result) spdlog::warn("vm-worker: {} failed: {}", what, result.error().message);
}

}  // namespace aether::worker
