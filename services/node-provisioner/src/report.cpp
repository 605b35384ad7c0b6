#include "report.hpp"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

namespace aether::provisioner {

const char* check_result_name(CheckResult result) {
  switch (result) {
    case CheckResult::kPass:
      return "pass";
    case CheckResult::kWarn:
      return "warn";
    case CheckResult::kFail:
      return "fail";
  }
  return "fail";
}

const char* node_state_name(NodeState state) {
  switch (state) {
    case NodeState::kProvisioned:
      return "provisioned";
    case NodeState::kUnsupported:
      return "unsupported";
    case NodeState::kDegraded:
      return "degraded";
  }
  return "degraded";
}

bool NodeReport::usable() const { return failed().empty() && !checks.empty(); }

NodeState NodeReport::state() const {
  if (!hypervisor_usable) return NodeState::kUnsupported;
  return usable() ? NodeState::kProvisioned : NodeState::kDegraded;
}

std::vector<const Check*> NodeReport::failed() const {
  std::vector<const Check*> out;
  for (const auto& check : checks) {
    if (check.required && check.result == CheckResult::kFail) out.push_back(&check);
  }
  return out;
}

std::string NodeReport::failure_summary() const {
  std::string out;
  for (const Check* check : failed()) {
    if (!out.empty()) out += "; ";
    out += check->name + ": " + check->reason;
  }
  return out;
}

std::string report_json(const NodeReport& report) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : report.checks) {
    checks.push_back({{"name", c.name},
                      {"result", check_result_name(c.result)},
                      {"required", c.required},
                      {"reason", c.reason},
                      {"duration_ms", c.duration.count()}});
  }
  nlohmann::json out = {{"node", report.node},
                        {"state", node_state_name(report.state())},
                        {"usable", report.usable()},
                        {"kvm_usable", report.kvm_usable},
                        {"runtime", report.runtime},
                        {"assets_version", report.assets_version},
                        {"asset_sha256", report.asset_sha256},
                        {"checks", checks}};
  return out.dump(2) + "\n";
}

std::string report_text(const NodeReport& report) {
  std::ostringstream out;
  out << "node " << report.node << ": " << node_state_name(report.state())
      << (report.usable() ? " (usable, runtime " + report.runtime + ")" : " (not usable)") << "\n";
  for (const auto& c : report.checks) {
    std::string name = c.name;
    name.resize(std::max<std::size_t>(name.size(), 18), ' ');
    out << "  " << check_result_name(c.result) << "  " << name << " " << c.reason
        << (c.required ? "" : " (advisory)") << "  [" << c.duration.count() << " ms]\n";
  }
  return out.str();
}

v1::NodeEvent report_event(const NodeReport& report,
                           const std::map<std::string, std::string>& labels) {
  v1::NodeEvent event;
  event.set_node(report.node);
  switch (report.state()) {
    case NodeState::kProvisioned:
      event.set_state(v1::NODE_STATE_READY);
      break;
    case NodeState::kUnsupported:
      event.set_state(v1::NODE_STATE_UNUSABLE);
      break;
    case NodeState::kDegraded:
      event.set_state(v1::NODE_STATE_DEGRADED);
      break;
  }
  event.set_kvm_usable(report.kvm_usable);
  event.set_reason(report.failure_summary());
  event.set_runtime(report.runtime);
  event.set_usable(report.usable());
  event.set_assets_version(report.assets_version);
  for (const auto& [k, v] : labels) (*event.mutable_labels())[k] = v;
  for (const auto& [k, v] : report.asset_sha256) (*event.mutable_asset_sha256())[k] = v;
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(report.at.time_since_epoch()).count();
  *event.mutable_at() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(ns);
  for (const auto& c : report.checks) {
    auto* check = event.add_checks();
    check->set_name(c.name);
    check->set_result(check_result_name(c.result));
    check->set_reason(c.reason);
    check->set_required(c.required);
    check->set_duration_ms(c.duration.count());
  }
  return event;
}

}  // namespace aether::provisioner
