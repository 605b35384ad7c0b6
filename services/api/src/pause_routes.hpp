// POST /v1/vms/{id}/pause and /resume: tenant-scoped like stop (the VM is
// looked up in the caller's tenant first), then aether.vm.<id>.pause|resume
// (PauseVm / ResumeVm). The worker answers once the VM is PAUSED (its state
// written to the worker's disk, its capacity freed) or READY again, so the
// request waits up to kPauseTimeout; its 409s (wrong state; no room to
// resume on that worker now, the VM stays PAUSED) pass through. The body is empty or `{}`.
// Threads: handler threads, any number at once.
#pragma once

#include <chrono>

#include "aether/rest/message.hpp"
#include "vm_routes.hpp"

namespace aether::api {

// Writing or loading a large guest's memory takes seconds (see the
// aether-bench-pause figures in services/vm-worker/README.md).
inline constexpr std::chrono::milliseconds kPauseTimeout{60'000};

class PauseRoutes {
 public:
  explicit PauseRoutes(VmRoutes& vms) : vms_(vms) {}

  rest::Response pause(rest::Request& req, const Principal& who);
  rest::Response resume(rest::Request& req, const Principal& who);

 private:
  VmRoutes& vms_;
};

}  // namespace aether::api
