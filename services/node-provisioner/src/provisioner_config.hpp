// The node-provisioner's environment variables (declared on a config::Spec so
// --help lists them and --check-config validates them) and what they build.
#pragma once

#include <memory>
#include <string>

#include "aether/config/config.hpp"
#include "errors.hpp"
#include "node_agent.hpp"
#include "provisioner.hpp"

namespace aether::provisioner {

enum class KubeMode { kOff, kInCluster, kKubeconfig };

struct ServiceSettings {
  ProvisionerConfig provisioner;
  NodeAgentOptions agent;
  std::string nats_url;
  // NATS_URL came from the environment (not the default): `--once` publishes
  // its NodeEvent there too (DaemonSet mode always connects).
  bool nats_configured = false;
  KubeMode kube = KubeMode::kOff;
  std::string kubeconfig;  // for kKubeconfig
  std::string kube_context;
};

class ProvisionerFields;  // the declared fields (defined in the .cpp)

[[nodiscard]] std::unique_ptr<ProvisionerFields, void (*)(ProvisionerFields*)>
declare_provisioner_config(config::Spec& spec);

// After spec.load(): the settings, or an error naming the variable and rule.
// `env` resolves AETHER_KUBE=auto (KUBERNETES_SERVICE_HOST, KUBECONFIG).
[[nodiscard]] Result<ServiceSettings> build_settings(const ProvisionerFields& fields,
                                                     const EnvGetter& env,
                                                     const std::string& version);

// Builds the labeler factory for the settings' KubeMode (empty when off).
[[nodiscard]] LabelerFactory make_labeler_factory(const ServiceSettings& settings,
                                                  const EnvGetter& env);

}  // namespace aether::provisioner
