#include "kubernetes_actuator.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace aether::autoscaler {

using nlohmann::json;

Result<std::pair<std::string, std::string>> parse_workload(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string::npos) {
    return fail(Errc::kInvalidConfig, "must be RESOURCE/NAME, e.g. deployments/aether-capacity");
  }
  std::string resource = text.substr(0, slash);
  if (resource != "deployments" && resource != "statefulsets" && resource != "replicasets") {
    return fail(Errc::kInvalidConfig,
                "resource '" + resource + "' must be deployments, statefulsets or replicasets");
  }
  return std::pair{resource, text.substr(slash + 1)};
}

KubernetesActuator::KubernetesActuator(KubernetesConfig config)
    : config_(std::move(config)), http_({.ca_file = config_.ca_file, .timeout = config_.timeout}) {
  while (!config_.api_url.empty() && config_.api_url.back() == '/') config_.api_url.pop_back();
}

std::string KubernetesActuator::scale_path() const {
  return "/apis/apps/v1/namespaces/" + config_.namespace_name + "/" + config_.resource + "/" +
         config_.name + "/scale";
}

Result<std::string> KubernetesActuator::call(const std::string& method, const std::string& path,
                                             const std::string& body) {
  std::ifstream in(config_.token_file);
  if (!in) {
    return fail(Errc::kActuator,
                "kubernetes: cannot read token file " + config_.token_file.string());
  }
  std::stringstream token;
  token << in.rdbuf();
  std::string t = token.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  std::vector<std::string> headers = {"Authorization: Bearer " + t, "Accept: application/json"};
  if (method == "PATCH") headers.emplace_back("Content-Type: application/merge-patch+json");
  auto r = http_.request(method, config_.api_url + path, headers, body);
  if (!r) return fail(Errc::kActuator, "kubernetes: " + r.error().message);
  if (r->status < 200 || r->status >= 300) {
    std::string message = r->body;
    auto j = json::parse(r->body, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("message") && j["message"].is_string()) {
      message = j["message"].get<std::string>();
    }
    return fail(Errc::kActuator, "kubernetes: " + method + " " + path + ": HTTP " +
                                     std::to_string(r->status) + ": " + message);
  }
  return std::move(r->body);
}

Result<int> KubernetesActuator::current() {
  auto body = call("GET", scale_path());
  if (!body) return std::unexpected(body.error());
  auto j = json::parse(*body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(Errc::kActuator, "kubernetes: GET " + scale_path() + ": answer is not JSON");
  }
  // spec.replicas is omitted when 0 (omitempty).
  const auto spec = j.value("spec", json::object());
  if (!spec.is_object()) return fail(Errc::kActuator, "kubernetes: Scale has no spec object");
  const auto replicas = spec.value("replicas", json(0));
  if (!replicas.is_number_integer()) {
    return fail(Errc::kActuator, "kubernetes: Scale spec.replicas is not an integer");
  }
  return replicas.get<int>();
}

Result<void> KubernetesActuator::mark_for_deletion(const WorkerView& worker) {
  if (worker.node.empty()) return {};
  std::string path = "/api/v1/namespaces/" + config_.namespace_name +
                     "/pods?fieldSelector=" + url_encode("spec.nodeName=" + worker.node);
  if (!config_.pod_selector.empty()) path += "&labelSelector=" + url_encode(config_.pod_selector);
  auto body = call("GET", path);
  if (!body) return std::unexpected(body.error());
  auto j = json::parse(*body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("items") || !j["items"].is_array()) {
    return fail(Errc::kActuator, "kubernetes: GET " + path + ": not a PodList");
  }
  const json patch = {{"metadata", {{"annotations", {{kPodDeletionCost, "-1000"}}}}}};
  for (const auto& pod : j["items"]) {
    const std::string name = pod.value("metadata", json::object()).value("name", "");
    if (name.empty()) continue;
    auto r = call("PATCH", "/api/v1/namespaces/" + config_.namespace_name + "/pods/" + name,
                  patch.dump());
    if (!r) return std::unexpected(r.error());
    spdlog::info("autoscaler (kubernetes): pod {} on drained node {} marked to go first", name,
                 worker.node);
  }
  return {};
}

Result<void> KubernetesActuator::scale(const ScaleRequest& r) {
  for (const auto& w : r.remove) {
    if (auto m = mark_for_deletion(w); !m) return m;
  }
  const json patch = {{"spec", {{"replicas", r.to}}}};
  auto body = call("PATCH", scale_path(), patch.dump());
  if (!body) return std::unexpected(body.error());
  spdlog::info("autoscaler (kubernetes): {}/{} scaled {} -> {}", config_.resource, config_.name,
               r.from, r.to);
  return {};
}

}  // namespace aether::autoscaler
