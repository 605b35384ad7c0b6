// KubernetesActuator: sets the replicas of a workload through its /scale
// subresource (autoscaling/v1 Scale), typically a placeholder Deployment
// whose pods each request a KVM node's worth of resources, so the Cluster
// Autoscaler adds or removes the nodes. Before a scale-down it marks the
// workload's pod on each drained worker's node with
// controller.kubernetes.io/pod-deletion-cost = -1000, so the ReplicaSet
// deletes that pod first (not one on a busy node).
//
// Requests (JSON, Authorization: Bearer <token file, re-read each time>):
//   GET   /apis/apps/v1/namespaces/NS/RESOURCE/NAME/scale
//   PATCH /apis/apps/v1/namespaces/NS/RESOURCE/NAME/scale   {"spec":{"replicas":N}}
//   GET   /api/v1/namespaces/NS/pods?labelSelector=SEL&fieldSelector=spec.nodeName=NODE
//   PATCH /api/v1/namespaces/NS/pods/POD   {"metadata":{"annotations":{...}}}
// PATCHes are application/merge-patch+json. A non-2xx answer is an error
// carrying the status and the API server's message.
//
// Threads: the controller thread only.
#pragma once

#include <filesystem>
#include <string>

#include "actuator.hpp"
#include "http_client.hpp"

namespace aether::autoscaler {

struct KubernetesConfig {
  std::string api_url;  // https://host:port
  std::filesystem::path token_file;
  std::filesystem::path ca_file;
  std::string namespace_name;
  std::string resource = "deployments";  // deployments | statefulsets | replicasets
  std::string name;
  std::string pod_selector;  // label selector of the workload's pods
  std::chrono::milliseconds timeout{10'000};
};

inline constexpr const char* kPodDeletionCost = "controller.kubernetes.io/pod-deletion-cost";

class KubernetesActuator final : public Actuator {
 public:
  explicit KubernetesActuator(KubernetesConfig config);
  [[nodiscard]] std::string_view kind() const override { return "kubernetes"; }
  [[nodiscard]] Result<int> current() override;
  [[nodiscard]] Result<void> scale(const ScaleRequest& request) override;

 private:
  [[nodiscard]] Result<std::string> call(const std::string& method, const std::string& path,
                                         const std::string& body = {});
  [[nodiscard]] Result<void> mark_for_deletion(const WorkerView& worker);
  [[nodiscard]] std::string scale_path() const;

  KubernetesConfig config_;
  HttpClient http_;
};

// "deployments/name" -> {resource, name}; error names the rule.
[[nodiscard]] Result<std::pair<std::string, std::string>> parse_workload(const std::string& text);

}  // namespace aether::autoscaler
