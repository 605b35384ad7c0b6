// What the node's aether.io/* labels, annotation and taint should be for a
// report, and the JSON merge-patch (RFC 7386) that gets a node there. Pure
// functions: the NodeLabeler sends the patch, tests check it.
//
// Labels (all under aether.io/, the only keys this service owns):
//   aether.io/kvm=true|false   true only when the node is usable *and* KVM works
//   aether.io/runtime=firecracker|qemu   only while the node is usable
//   aether.io/assets=<version>          only while every asset is installed and verified
// Annotation aether.io/failed-checks: the failed required checks' reasons.
// Taint aether.io/unprovisioned:NoSchedule is removed once the node is usable
// (never added: cloud-init and the deploy docs register nodes with it).
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "report.hpp"

namespace aether::provisioner {

inline constexpr const char* kLabelPrefix = "aether.io/";
inline constexpr const char* kFailedChecksAnnotation = "aether.io/failed-checks";
inline constexpr const char* kUnprovisionedTaint = "aether.io/unprovisioned";

// Label and annotation values are bounded by Kubernetes: a label value is at
// most 63 characters of [A-Za-z0-9._-]; the annotation is cut at 1 KiB.
struct DesiredNodeState {
  std::map<std::string, std::string> labels;  // aether.io/* only
  std::optional<std::string> failed_checks;   // nullopt: remove the annotation
  bool remove_unprovisioned_taint = false;
};

[[nodiscard]] DesiredNodeState desired_node_state(const NodeReport& report);

// The merge-patch from `node` (the API server's Node object) to `desired`;
// an empty object when nothing changes. Labels under aether.io/ that are not
// desired become null (removed); other keys are never mentioned. A taint
// change replaces spec.taints (a list) and so carries metadata.resourceVersion:
// the API server answers 409 if the node changed since it was read.
[[nodiscard]] nlohmann::json node_patch(const nlohmann::json& node,
                                        const DesiredNodeState& desired);

}  // namespace aether::provisioner
