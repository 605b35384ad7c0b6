// Plays the Kubernetes API server's side of GET and PATCH /api/v1/nodes/{name}
// over HTTPS, and checks every request it gets: the bearer token, the path,
// the method, the merge-patch content type, that a patch touches only
// aether.io/* labels and annotations, and metadata.resourceVersion (409 on a
// stale one, as the API server does). The node is applied with RFC 7386
// (nlohmann's merge_patch). Test code only.
#pragma once

#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "test_tls.hpp"

namespace aether::provisioner::testing {

struct SeenRequest {
  std::string method, path, content_type, authorization, body;
};

class FakeApiServer {
 public:
  FakeApiServer(const TestTls& tls, std::string node_name, std::string token)
      : server_(tls.server_cert.c_str(), tls.server_key.c_str()),
        node_name_(std::move(node_name)),
        token_(std::move(token)) {
    node_ = {
        {"apiVersion", "v1"},
        {"kind", "Node"},
        {"metadata",
         {{"name", node_name_},
          {"resourceVersion", "100"},
          {"labels", {{"kubernetes.io/hostname", node_name_}, {"team", "infra"}}},
          {"annotations", {{"node.alpha.kubernetes.io/ttl", "0"}}}}},
        {"spec",
         {{"taints", nlohmann::json::array(
                         {{{"key", "aether.io/unprovisioned"}, {"effect", "NoSchedule"}},
                          {{"key", "dedicated"}, {"value", "vms"}, {"effect", "NoSchedule"}}})}}}};
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res);
    };
    server_.Get(R"(/api/v1/nodes/([^/]+))", handler);
    server_.Patch(R"(/api/v1/nodes/([^/]+))", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~FakeApiServer() {
    server_.stop();
    thread_.join();
  }

  [[nodiscard]] std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] nlohmann::json node() const {
    std::lock_guard l(mutex_);
    return node_;
  }
  void set_node(nlohmann::json node) {
    std::lock_guard l(mutex_);
    node_ = std::move(node);
  }
  [[nodiscard]] std::vector<SeenRequest> requests() const {
    std::lock_guard l(mutex_);
    return requests_;
  }
  [[nodiscard]] std::vector<std::string> violations() const {
    std::lock_guard l(mutex_);
    return violations_;
  }
  void forbid_patches(bool on) {
    std::lock_guard l(mutex_);
    forbid_ = on;
  }
  // Another writer changes the node after the next GET (so a PATCH carrying
  // the resourceVersion read is stale) this many times.
  void concurrent_writes(int n) {
    std::lock_guard l(mutex_);
    concurrent_writes_ = n;
  }

 private:
  static void status(httplib::Response& res, int code, const std::string& reason,
                     const std::string& message) {
    res.status = code;
    res.set_content(nlohmann::json{{"kind", "Status"},
                                   {"apiVersion", "v1"},
                                   {"status", "Failure"},
                                   {"reason", reason},
                                   {"message", message},
                                   {"code", code}}
                        .dump(),
                    "application/json");
  }
  void bump() {
    const int rv = std::stoi(node_["metadata"]["resourceVersion"].get<std::string>());
    node_["metadata"]["resourceVersion"] = std::to_string(rv + 1);
  }
  void check_owned(const nlohmann::json& patch, const char* field) {
    if (!patch.contains("metadata") || !patch["metadata"].contains(field)) return;
    for (const auto& [key, value] : patch["metadata"][field].items()) {
      if (key.rfind("aether.io/", 0) != 0) violations_.push_back(std::string(field) + " " + key);
    }
  }
  void handle(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(mutex_);
    requests_.push_back({req.method, req.path, req.get_header_value("Content-Type"),
                         req.get_header_value("Authorization"), req.body});
    if (req.get_header_value("Authorization") != "Bearer " + token_) {
      return status(res, 401, "Unauthorized", "Unauthorized");
    }
    if (req.matches[1] != node_name_) {
      return status(res, 404, "NotFound",
                    "nodes \"" + std::string(req.matches[1]) + "\" not found");
    }
    if (req.method == "GET") {
      res.set_content(node_.dump(), "application/json");
      if (concurrent_writes_ > 0) {
        --concurrent_writes_;
        node_["metadata"]["labels"]["team"] = "infra-" + std::to_string(concurrent_writes_);
        bump();
      }
      return;
    }
    if (req.get_header_value("Content-Type") != "application/merge-patch+json") {
      violations_.push_back("content type " + req.get_header_value("Content-Type"));
      return status(res, 415, "UnsupportedMediaType", "unsupported content type");
    }
    if (forbid_) {
      return status(res, 403, "Forbidden",
                    "nodes \"" + node_name_ +
                        "\" is forbidden: User \"system:serviceaccount:aether:node-provisioner\" "
                        "cannot patch resource \"nodes\" in API group \"\" at the cluster scope");
    }
    auto patch = nlohmann::json::parse(req.body, nullptr, false);
    if (patch.is_discarded() || !patch.is_object()) {
      violations_.push_back("body is not a JSON object");
      return status(res, 400, "BadRequest", "bad body");
    }
    check_owned(patch, "labels");
    check_owned(patch, "annotations");
    if (patch.contains("metadata") && patch["metadata"].contains("resourceVersion") &&
        patch["metadata"]["resourceVersion"] != node_["metadata"]["resourceVersion"]) {
      return status(res, 409, "Conflict",
                    "Operation cannot be fulfilled on nodes \"" + node_name_ +
                        "\": the object has been modified; please apply your changes to the "
                        "latest version and try again");
    }
    if (patch.contains("metadata")) patch["metadata"].erase("resourceVersion");
    node_.merge_patch(patch);
    bump();
    res.set_content(node_.dump(), "application/json");
  }

  httplib::SSLServer server_;
  std::string node_name_;
  std::string token_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  nlohmann::json node_;                  // guarded by mutex_
  std::vector<SeenRequest> requests_;    // guarded by mutex_
  std::vector<std::string> violations_;  // guarded by mutex_
  bool forbid_ = false;                  // guarded by mutex_
  int concurrent_writes_ = 0;            // guarded by mutex_
};

}  // namespace aether::provisioner::testing
