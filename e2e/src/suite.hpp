// What several scenarios share: tenants made for one scenario (through the
// operator key), a VM's events, disposing of VMs, and running a command
// line (aetherctl) with its output captured.
#pragma once

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "rest.hpp"

namespace aether::e2e {

struct Tenant {
  std::string id;
  std::string key;  // a `vms` key of the tenant
};

// POST /v1/tenants (ids "<prefix>-<random>") then POST /v1/tenants/{id}/keys
// with the operator key; `quotas` adds maxVms/maxVcpus/maxMemoryMib. The id
// is empty (and `why` says what failed) when the api refused.
[[nodiscard]] Tenant make_tenant(const std::string& prefix, const Json& quotas, std::string& why);

// GET /v1/vms/{id}/events: the event list (empty when refused).
[[nodiscard]] Json vm_events(Rest& rest, const std::string& id);
// Count of events in `events` with this state, and the distinct worker ids
// that reported it.
[[nodiscard]] int count_state(const Json& events, const std::string& state);
[[nodiscard]] std::vector<std::string> workers_reporting(const Json& events,
                                                         const std::string& state);

// DELETE /v1/vms/{id} for each, ignoring the answers (clean-up only).
void dispose(Rest& rest, const std::vector<std::string>& ids);

// A command line run by /bin/sh: exit code, stdout, stderr.
struct Ran {
  int exit_code = -1;
  std::string out;
  std::string err;
};
[[nodiscard]] Ran run_shell(const std::string& line, const std::string& stdin_data = "");
[[nodiscard]] std::string shell_quote(const std::string& s);

// Retries `probe` every 250 ms until it returns true or `limit` passes.
template <class Probe>
[[nodiscard]] bool eventually(std::chrono::seconds limit, Probe probe) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (probe()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace aether::e2e
