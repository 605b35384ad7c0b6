#include "actuator.hpp"

#include <spdlog/spdlog.h>

namespace aether::autoscaler {

Result<int> DryRunActuator::current() {
  if (replicas_ < 0) return observed_ ? observed_() : 0;
  return replicas_;
}

Result<void> DryRunActuator::scale(const ScaleRequest& r) {
  std::string removed;
  for (const auto& w : r.remove) removed += " " + w.id;
  spdlog::info("autoscaler (dry-run): would scale {} -> {}{}{}", r.from, r.to,
               removed.empty() ? "" : ", removing", removed);
  replicas_ = r.to;
  return {};
}

}  // namespace aether::autoscaler
