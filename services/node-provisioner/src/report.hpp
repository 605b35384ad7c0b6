// The node report: every check with its result and a human reason, and what
// follows from them (usable, runtime, state). It is what `--once` prints,
// what the NodeEvent carries and what the node's labels are made from.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "aether/v1/node.pb.h"

namespace aether::provisioner {

enum class CheckResult { kPass, kWarn, kFail };

[[nodiscard]] const char* check_result_name(CheckResult result);

struct Check {
  std::string name;  // kebab-case, e.g. "kvm", "dev-net-tun"
  CheckResult result = CheckResult::kFail;
  std::string reason;    // one line a person understands
  bool required = true;  // a failed required check makes the node unusable
  std::chrono::milliseconds duration{0};
};

// provisioned: usable for the runtime; unsupported: no usable hypervisor
// (KVM unusable and emulation not allowed); degraded: a hypervisor is there
// but another required check or the asset install failed.
enum class NodeState { kProvisioned, kUnsupported, kDegraded };

[[nodiscard]] const char* node_state_name(NodeState state);  // subject token

struct NodeReport {
  std::string node;
  std::vector<Check> checks;
  bool kvm_usable = false;
  std::string runtime;             // "firecracker" | "qemu" | "" when none is usable
  bool hypervisor_usable = false;  // KVM, or emulation when allowed
  std::string assets_version;      // empty unless every asset is installed and verified
  std::map<std::string, std::string> asset_sha256;  // installed name -> sum
  std::chrono::system_clock::time_point at;

  [[nodiscard]] bool usable() const;  // every required check passed
  [[nodiscard]] NodeState state() const;
  [[nodiscard]] std::vector<const Check*> failed() const;  // required checks that failed
  // "kvm: ...; disk-free: ..." of the failed required checks (empty when usable).
  [[nodiscard]] std::string failure_summary() const;
};

[[nodiscard]] std::string report_json(const NodeReport& report);  // pretty JSON
[[nodiscard]] std::string report_text(const NodeReport& report);  // a table for people
[[nodiscard]] v1::NodeEvent report_event(const NodeReport& report,
                                         const std::map<std::string, std::string>& labels);

}  // namespace aether::provisioner
