#include "spec_rules.hpp"

#include <fmt/format.h>

#include "aether/net/egress.hpp"

namespace aether::worker {

bool valid_vm_id(std::string_view id) { return valid_worker_id(id); }

std::optional<std::string> malformed_reason(const v1::CreateVm& create) {
  if (create.vm_id().empty()) return "vm_id is empty";
  if (!valid_vm_id(create.vm_id())) {
    return "vm_id '" + create.vm_id() + "' must be 1-64 characters of [A-Za-z0-9_-]";
  }
  return std::nullopt;
}

std::optional<std::string> impossible_reason(const v1::VmSpec& spec, const VmLimits& limits,
                                             const Resources& node,
                                             const std::map<std::string, GuestTemplate>& templates,
                                             bool network_enabled) {
  if (spec.template_().empty()) return "spec.template is empty: name a template (e.g. default)";
  if (!templates.contains(spec.template_())) {
    std::string known;
    for (const auto& [name, t] : templates) known += (known.empty() ? "" : ", ") + name;
    return "spec.template '" + spec.template_() + "' is unknown here (known: " + known + ")";
  }
  if (spec.vcpus() == 0) return "spec.vcpus is 0: a VM needs at least 1 vCPU";
  if (spec.vcpus() > limits.max_vcpus) {
    return fmt::format("spec.vcpus {} is over the per-VM limit of {}", spec.vcpus(),
                       limits.max_vcpus);
  }
  if (spec.vcpus() > node.vcpus) {
    return fmt::format("spec.vcpus {} is more than this node has ({})", spec.vcpus(), node.vcpus);
  }
  if (spec.memory_mib() < limits.min_memory_mib) {
    return fmt::format("spec.memory_mib {} is under the minimum of {} MiB", spec.memory_mib(),
                       limits.min_memory_mib);
  }
  if (spec.memory_mib() > node.memory_mib) {
    return fmt::format("spec.memory_mib {} is more than this node has ({} MiB)", spec.memory_mib(),
                       node.memory_mib);
  }
  if (spec.memory_mib() > limits.max_memory_mib) {
    return fmt::format("spec.memory_mib {} is over the per-VM limit of {} MiB", spec.memory_mib(),
                       limits.max_memory_mib);
  }
  if (limits.max_ttl_seconds > 0 &&
      (spec.ttl_seconds() == 0 || spec.ttl_seconds() > limits.max_ttl_seconds)) {
    return fmt::format("spec.ttl_seconds {} must be between 1 and {} on this worker",
                       spec.ttl_seconds(), limits.max_ttl_seconds);
  }
  if (spec.network() && !network_enabled) {
    return "spec.network is not supported by this worker (per-VM networking is not enabled: "
           "AETHER_NETWORK=off)";
  }
  if (!spec.network() && spec.egress_allow_size() > 0) {
    return "spec.egress_allow is set but spec.network is false: egress rules need a network";
  }
  const std::vector<std::string> egress(spec.egress_allow().begin(), spec.egress_allow().end());
  if (auto rules = net::parse_egress_allow(egress, "spec.egress_allow"); !rules) {
    return rules.error().message;
  }
  for (const auto& [key, value] : spec.env()) {
    if (key.empty() || key.find('=') != std::string::npos) {
      return "spec.env key '" + key + "' must be non-empty and contain no '='";
    }
  }
  return std::nullopt;
}

Resources resources_of(const v1::VmSpec& spec) { return {spec.vcpus(), spec.memory_mib(), 1}; }

}  // namespace aether::worker
