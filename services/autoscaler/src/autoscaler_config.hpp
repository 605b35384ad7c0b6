// The autoscaler's environment variables (declare_config) and what they
// build: the controller's AutoscalerConfig and the chosen actuator. Rules
// that join two variables (min <= max, a stabilisation window above 0 while
// scale-down is on, the exec command when the exec actuator is chosen) are
// checked at load time, so --check-config reports them too.
#pragma once

#include <memory>
#include <string>

#include "actuator.hpp"
#include "aether/config/config.hpp"
#include "autoscaler.hpp"
#include "exec_actuator.hpp"
#include "kubernetes_actuator.hpp"
#include "local_actuator.hpp"

namespace aether::autoscaler {

struct Settings {
  std::string nats_url;
  AutoscalerConfig autoscaler;
  std::string actuator = "dry-run";  // kubernetes | exec | local | dry-run
  ExecConfig exec;
  LocalConfig local;
  KubernetesConfig kubernetes;
};

class ConfigFields;
[[nodiscard]] std::shared_ptr<ConfigFields> declare_config(config::Spec& spec);
// After spec.load(): the settings, or the variables that are wrong.
// `env` supplies KUBERNETES_SERVICE_HOST/PORT for the in-cluster default.
[[nodiscard]] Result<Settings> build_settings(const ConfigFields& fields,
                                              const config::EnvLookup& env);

[[nodiscard]] Result<std::unique_ptr<Actuator>> make_actuator(const Settings& settings,
                                                              ObservedWorkers observed);

}  // namespace aether::autoscaler
