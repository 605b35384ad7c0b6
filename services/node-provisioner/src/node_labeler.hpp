// Brings the node's aether.io/* labels, annotation and taint to what a report
// says, through the API server: GET the node, compute the merge-patch, PATCH
// it; on 409 (the node changed in between) read it again and retry.
//
// Threads: one apply() at a time (it uses one KubeClient).
#pragma once

#include <map>
#include <string>

#include "kube_client.hpp"
#include "node_labels.hpp"

namespace aether::provisioner {

struct LabelOutcome {
  bool patched = false;  // false: the node already matched
  bool taint_removed = false;
  int conflicts = 0;                          // 409s retried
  std::map<std::string, std::string> labels;  // the node's aether.io/* labels afterwards
};

class NodeLabeler {
 public:
  NodeLabeler(KubeClient client, std::string node, int max_conflict_retries = 5);

  [[nodiscard]] Result<LabelOutcome> apply(const NodeReport& report);
  [[nodiscard]] const std::string& node() const { return node_; }
  [[nodiscard]] const KubeCredentials& credentials() const { return client_.credentials(); }

 private:
  KubeClient client_;
  std::string node_;
  int max_conflict_retries_;
};

}  // namespace aether::provisioner
