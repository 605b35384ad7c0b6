#include "node_labels.hpp"

namespace aether::provisioner {
namespace {

bool owned(const std::string& key) { return key.rfind(kLabelPrefix, 0) == 0; }

const nlohmann::json& object_at(const nlohmann::json& node, const char* a, const char* b) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (!node.contains(a) || !node[a].is_object() || !node[a].contains(b)) return kEmpty;
  return node[a][b];
}

}  // namespace

DesiredNodeState desired_node_state(const NodeReport& report) {
  DesiredNodeState d;
  const bool usable = report.usable();
  d.labels["aether.io/kvm"] = usable && report.kvm_usable ? "true" : "false";
  if (usable) {
    d.labels["aether.io/runtime"] = report.runtime;
    if (!report.assets_version.empty()) d.labels["aether.io/assets"] = report.assets_version;
  }
  if (!usable) {
    std::string summary = report.failure_summary();
    if (summary.size() > 1024) summary = summary.substr(0, 1021) + "...";
    d.failed_checks = summary;
  }
  d.remove_unprovisioned_taint = usable;
  return d;
}

nlohmann::json node_patch(const nlohmann::json& node, const DesiredNodeState& desired) {
  nlohmann::json patch = nlohmann::json::object();
  const auto& labels = object_at(node, "metadata", "labels");
  nlohmann::json label_patch = nlohmann::json::object();
  for (const auto& [key, value] : desired.labels) {
    if (!owned(key)) continue;  // never write a key we do not own
    if (!labels.contains(key) || labels[key] != value) label_patch[key] = value;
  }
  if (labels.is_object()) {
    for (const auto& [key, value] : labels.items()) {
      if (owned(key) && !desired.labels.contains(key)) label_patch[key] = nullptr;
    }
  }
  if (!label_patch.empty()) patch["metadata"]["labels"] = label_patch;

  const auto& annotations = object_at(node, "metadata", "annotations");
  const bool has = annotations.is_object() && annotations.contains(kFailedChecksAnnotation);
  if (desired.failed_checks) {
    if (!has || annotations[kFailedChecksAnnotation] != *desired.failed_checks) {
      patch["metadata"]["annotations"][kFailedChecksAnnotation] = *desired.failed_checks;
    }
  } else if (has) {
    patch["metadata"]["annotations"][kFailedChecksAnnotation] = nullptr;
  }

  if (desired.remove_unprovisioned_taint) {
    const auto& taints = object_at(node, "spec", "taints");
    if (taints.is_array()) {
      nlohmann::json kept = nlohmann::json::array();
      bool found = false;
      for (const auto& taint : taints) {
        if (taint.is_object() && taint.value("key", "") == kUnprovisionedTaint) {
          found = true;
        } else {
          kept.push_back(taint);
        }
      }
      if (found) {
        patch["spec"]["taints"] = kept;
        const auto& meta = node.contains("metadata") ? node["metadata"] : nlohmann::json::object();
        if (meta.contains("resourceVersion")) {
          patch["metadata"]["resourceVersion"] = meta["resourceVersion"];
        }
      }
    }
  }
  return patch;
}

}  // namespace aether::provisioner
