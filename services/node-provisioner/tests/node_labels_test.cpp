#include <catch2/catch.hpp>

#include "node_labels.hpp"

using namespace aether::provisioner;
using nlohmann::json;

namespace {
NodeReport usable_report() {
  NodeReport r;
  r.node = "n1";
  r.kvm_usable = true;
  r.hypervisor_usable = true;
  r.runtime = "firecracker";
  r.assets_version = "0123456789ab";
  r.checks.push_back({"kvm", CheckResult::kPass, "usable", true, {}});
  return r;
}
NodeReport unusable_report() {
  NodeReport r;
  r.node = "n1";
  r.checks.push_back({"kvm", CheckResult::kFail, "unusable: no answer", true, {}});
  return r;
}
json node_with(json labels, json taints = json::array()) {
  return {{"metadata",
           {{"name", "n1"},
            {"resourceVersion", "41"},
            {"labels", labels},
            {"annotations", {{"other/annotation", "x"}}}}},
          {"spec", {{"taints", taints}}}};
}
}  // namespace

TEST_CASE("a usable node gets its labels and loses the unprovisioned taint") {
  const json taints =
      json::array({{{"key", "aether.io/unprovisioned"}, {"effect", "NoSchedule"}},
                   {{"key", "dedicated"}, {"value", "vms"}, {"effect", "NoExecute"}}});
  const auto node = node_with({{"kubernetes.io/hostname", "n1"}}, taints);
  const auto patch = node_patch(node, desired_node_state(usable_report()));
  CHECK(patch == json::parse(R"({
    "metadata": {"labels": {"aether.io/kvm": "true", "aether.io/runtime": "firecracker",
                            "aether.io/assets": "0123456789ab"},
                 "resourceVersion": "41"},
    "spec": {"taints": [{"key": "dedicated", "value": "vms", "effect": "NoExecute"}]}})"));
}

TEST_CASE("other keys are never touched, stale aether.io labels are removed") {
  auto node = node_with({{"kubernetes.io/hostname", "n1"},
                         {"aether.io/kvm", "true"},
                         {"aether.io/runtime", "firecracker"},
                         {"aether.io/assets", "0123456789ab"},
                         {"aether.io/old-label", "x"}});
  const auto patch = node_patch(node, desired_node_state(unusable_report()));
  CHECK(patch == json::parse(R"({"metadata": {
    "labels": {"aether.io/kvm": "false", "aether.io/runtime": null, "aether.io/assets": null,
               "aether.io/old-label": null},
    "annotations": {"aether.io/failed-checks": "kvm: unusable: no answer"}}})"));
  // A node that is not usable keeps its taint: it is never removed early.
  CHECK_FALSE(patch.contains("spec"));
}

TEST_CASE("a node that already matches needs no patch, recovery clears the annotation") {
  auto node = node_with({{"aether.io/kvm", "true"},
                         {"aether.io/runtime", "firecracker"},
                         {"aether.io/assets", "0123456789ab"}});
  CHECK(node_patch(node, desired_node_state(usable_report())).empty());
  node["metadata"]["annotations"]["aether.io/failed-checks"] = "kvm: old";
  CHECK(node_patch(node, desired_node_state(usable_report())) ==
        json::parse(R"({"metadata": {"annotations": {"aether.io/failed-checks": null}}})"));
}

TEST_CASE("emulation: usable with runtime qemu, but aether.io/kvm stays false") {
  NodeReport r = usable_report();
  r.kvm_usable = false;
  r.runtime = "qemu";
  const auto d = desired_node_state(r);
  CHECK(d.labels.at("aether.io/kvm") == "false");
  CHECK(d.labels.at("aether.io/runtime") == "qemu");
  CHECK(d.remove_unprovisioned_taint);
}
