#include "node_labeler.hpp"

#include <spdlog/spdlog.h>

namespace aether::provisioner {
namespace {

std::map<std::string, std::string> owned_labels(const nlohmann::json& node) {
  std::map<std::string, std::string> out;
  if (!node.contains("metadata") || !node["metadata"].contains("labels")) return out;
  for (const auto& [k, v] : node["metadata"]["labels"].items()) {
    if (k.rfind(kLabelPrefix, 0) == 0 && v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace

NodeLabeler::NodeLabeler(KubeClient client, std::string node, int max_conflict_retries)
    : client_(std::move(client)),
      node_(std::move(node)),
      max_conflict_retries_(max_conflict_retries) {}

Result<LabelOutcome> NodeLabeler::apply(const NodeReport& report) {
  const DesiredNodeState desired = desired_node_state(report);
  LabelOutcome outcome;
  for (int attempt = 0;; ++attempt) {
    auto node = client_.get_node(node_);
    if (!node) return std::unexpected(node.error());
    const nlohmann::json patch = node_patch(*node, desired);
    if (patch.empty()) {
      outcome.labels = owned_labels(*node);
      return outcome;
    }
    auto patched = client_.merge_patch_node(node_, patch);
    if (patched) {
      outcome.patched = true;
      outcome.taint_removed = patch.contains("spec");
      outcome.labels = owned_labels(*patched);
      return outcome;
    }
    if (patched.error().code != Errc::kKubeConflict || attempt >= max_conflict_retries_) {
      return std::unexpected(patched.error());
    }
    ++outcome.conflicts;
    spdlog::info("node {}: {}; reading the node again", node_, patched.error().message);
  }
}

}  // namespace aether::provisioner
