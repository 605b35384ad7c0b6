// What aether-vm-worker's main wires besides the Worker itself: the runtime
// options for this node's worker, and the worker's /readyz checks. Kept out of
// main.cpp (wiring only) so they are testable; libs/service does the rest of
// the start-up.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aether/http/admin_server.hpp"
#include "aether/vmm/runtime.hpp"
#include "errors.hpp"
#include "worker.hpp"
#include "worker_config.hpp"

namespace aether::worker {

// `options` (from vmm::RuntimeConfigFields) completed for this worker: the KVM
// probe boots the "default" template with its cache under state_dir; and when
// the VMM drops to another user, that user owns the TAPs (config.network).
// Errc::kInvalidConfig when the VMM user does not exist.
[[nodiscard]] Result<vmm::RuntimeOptions> worker_runtime_options(vmm::RuntimeOptions options,
                                                                 WorkerConfig& config);

// The worker's readiness checks by name: "worker" (started, not draining),
// "runtime" (can boot VMs now), "guest-image" (every template's files exist).
[[nodiscard]] std::vector<std::pair<std::string, http::ReadinessCheck>> worker_readiness_checks(
    std::shared_ptr<const Worker> worker);

}  // namespace aether::worker
