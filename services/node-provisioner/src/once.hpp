// `--once`: one round on this host, the report printed, and an exit code a
// script can act on (documented in the README):
//   0  usable for the configured runtime (labelled too, when Kubernetes is configured)
//   10 unsupported: no usable hypervisor (KVM unusable and emulation not allowed)
//   11 degraded: a hypervisor works, but another required check or the asset install failed
//   12 usable, but labelling the node failed (Kubernetes configured)
//   13 usable, but publishing the NodeEvent failed (NATS_URL set)
//   1/2/3 as every Aether binary: run-time failure, usage, invalid configuration
#pragma once

#include <ostream>
#include <string>

#include "node_agent.hpp"

namespace aether::provisioner {

inline constexpr int kExitUnsupported = 10;
inline constexpr int kExitDegraded = 11;
inline constexpr int kExitLabelFailed = 12;
inline constexpr int kExitPublishFailed = 13;

[[nodiscard]] int once_exit_code(const RoundResult& result);

// One round (its NodeEvent published when the agent has a bus), the report
// printed as "json" or "text"; returns the exit code.
[[nodiscard]] int run_once(NodeAgent& agent, const std::string& format, std::ostream& out);

}  // namespace aether::provisioner
