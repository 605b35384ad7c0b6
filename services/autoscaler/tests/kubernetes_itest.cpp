// The kubernetes actuator against a test HTTPS server that plays the API
// server: it checks every request (method, path, query, bearer token,
// content type, merge-patch body) and keeps the Scale and the pods' state.
// Then the same through the controller, driven by creates on a real NATS.
#include "kubernetes_actuator.hpp"

#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "autoscaler.hpp"
#include "itest_support.hpp"
#include "tls_cert.hpp"

using namespace aether;
using namespace aether::autoscaler;
using namespace aether::autoscaler::testing;
using nlohmann::json;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/as-k8s.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// The API server's side: one Deployment "capacity" in namespace "aether"
// whose pods run on nodes n1..n3.
class FakeApiServer {
 public:
  explicit FakeApiServer(const TlsFiles& tls) : server_(tls.cert.c_str(), tls.key.c_str()) {
    const std::string scale = "/apis/apps/v1/namespaces/aether/deployments/capacity/scale";
    server_.Get(scale, [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorized(req, res)) return;
      std::lock_guard lock(mutex_);
      ++scale_gets_;
      json body = {{"kind", "Scale"},
                   {"apiVersion", "autoscaling/v1"},
                   {"metadata", {{"name", "capacity"}, {"namespace", "aether"}}},
                   {"spec", json::object()},
                   {"status", {{"replicas", replicas_}}}};
      if (replicas_ > 0) body["spec"]["replicas"] = replicas_;  // omitempty, like the API
      res.set_content(body.dump(), "application/json");
    });
    server_.Patch(scale, [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorized(req, res) || !merge_patch(req, res)) return;
      auto j = json::parse(req.body, nullptr, false);
      std::lock_guard lock(mutex_);
      if (j.is_discarded() || j.size() != 1 || !j.contains("spec") || j["spec"].size() != 1 ||
          !j["spec"].contains("replicas") || !j["spec"]["replicas"].is_number_integer()) {
        problems_.push_back("scale PATCH body: " + req.body);
        res.status = 422;
        res.set_content(R"({"kind":"Status","message":"bad scale patch"})", "application/json");
        return;
      }
      replicas_ = j["spec"]["replicas"].get<int>();
      order_.push_back("scale=" + std::to_string(replicas_));
      res.set_content(json{{"kind", "Scale"}, {"spec", {{"replicas", replicas_}}}}.dump(),
                      "application/json");
    });
    server_.Get("/api/v1/namespaces/aether/pods", [this](const httplib::Request& req,
                                                         httplib::Response& res) {
      if (!authorized(req, res)) return;
      std::lock_guard lock(mutex_);
      const auto field = req.get_param_value("fieldSelector");
      const auto labels = req.get_param_value("labelSelector");
      if (labels != "app=capacity") problems_.push_back("labelSelector: " + labels);
      json items = json::array();
      for (const auto& [pod, node] : pods_) {
        if (field == "spec.nodeName=" + node) {
          items.push_back({{"metadata", {{"name", pod}, {"namespace", "aether"}}},
                           {"spec", {{"nodeName", node}}}});
        }
      }
      res.set_content(json{{"kind", "PodList"}, {"items", items}}.dump(), "application/json");
    });
    server_.Patch(
        R"(/api/v1/namespaces/aether/pods/([a-z0-9-]+))",
        [this](const httplib::Request& req, httplib::Response& res) {
          if (!authorized(req, res) || !merge_patch(req, res)) return;
          auto j = json::parse(req.body, nullptr, false);
          std::lock_guard lock(mutex_);
          const std::string pod = req.matches[1];
          try {
            annotations_[pod] =
                j.at("metadata").at("annotations").at(kPodDeletionCost).get<std::string>();
            order_.push_back("annotate=" + pod);
          } catch (const std::exception&) {
            problems_.push_back("pod PATCH body: " + req.body);
            res.status = 422;
            return;
          }
          res.set_content(R"({"kind":"Pod"})", "application/json");
        });
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::jthread([this] { server_.listen_after_bind(); });
    REQUIRE(wait_for([this] { return server_.is_running(); }, 5s));
  }
  ~FakeApiServer() { server_.stop(); }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  void set_replicas(int n) {
    std::lock_guard lock(mutex_);
    replicas_ = n;
  }
  void forbid(bool f) {
    std::lock_guard lock(mutex_);
    forbid_ = f;
  }
  int replicas() const {
    std::lock_guard lock(mutex_);
    return replicas_;
  }
  int scale_gets() const {
    std::lock_guard lock(mutex_);
    return scale_gets_;
  }
  std::vector<std::string> problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
  }
  std::vector<std::string> order() const {
    std::lock_guard lock(mutex_);
    return order_;
  }
  std::map<std::string, std::string> annotations() const {
    std::lock_guard lock(mutex_);
    return annotations_;
  }

 private:
  bool authorized(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    if (req.get_header_value("Authorization") != "Bearer test-token") {
      problems_.push_back(req.method + " " + req.path + ": Authorization '" +
                          req.get_header_value("Authorization") + "'");
      res.status = 401;
      return false;
    }
    if (forbid_) {
      res.status = 403;
      res.set_content(
          R"({"kind":"Status","message":"deployments.apps \"capacity\" is forbidden: no RBAC"})",
          "application/json");
      return false;
    }
    return true;
  }
  bool merge_patch(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Content-Type") == "application/merge-patch+json") return true;
    std::lock_guard lock(mutex_);
    problems_.push_back(req.path + ": Content-Type '" + req.get_header_value("Content-Type") + "'");
    res.status = 415;
    return false;
  }

  httplib::SSLServer server_;
  int port_ = 0;
  std::jthread thread_;
  mutable std::mutex mutex_;  // guards everything below
  int replicas_ = 2;
  int scale_gets_ = 0;
  bool forbid_ = false;
  std::map<std::string, std::string> pods_{
      {"capacity-aaa", "n1"}, {"capacity-bbb", "n2"}, {"capacity-ccc", "n3"}};
  std::map<std::string, std::string> annotations_;
  std::vector<std::string> problems_;
  std::vector<std::string> order_;
};

KubernetesConfig k8s_config(const FakeApiServer& api, const TempDir& dir, const TlsFiles& tls) {
  std::ofstream(dir.path / "token") << "test-token\n";
  return {.api_url = api.url(),
          .token_file = dir.path / "token",
          .ca_file = tls.cert,
          .namespace_name = "aether",
          .resource = "deployments",
          .name = "capacity",
          .pod_selector = "app=capacity",
          .timeout = 5s};
}

}  // namespace

TEST_CASE("kubernetes: /scale GET and PATCH, and the drained node's pod marked to go first") {
  TempDir dir;
  auto tls = make_self_signed(dir.path);
  FakeApiServer api(tls);
  KubernetesActuator k8s(k8s_config(api, dir, tls));

  auto now = k8s.current();
  INFO((now ? "" : now.error().message));
  REQUIRE(now);
  CHECK(*now == 2);
  REQUIRE(k8s.scale({.from = 2, .to = 3}));
  CHECK(api.replicas() == 3);
  CHECK(*k8s.current() == 3);

  WorkerView drained;
  drained.id = "w-2";
  drained.node = "n2";
  auto down = k8s.scale({.from = 3, .to = 2, .remove = {drained}});
  INFO((down ? "" : down.error().message));
  REQUIRE(down);
  CHECK(api.replicas() == 2);
  CHECK(api.annotations() == std::map<std::string, std::string>{{"capacity-bbb", "-1000"}});
  // The annotation comes before the replicas change, so the ReplicaSet sees it.
  CHECK(api.order() == std::vector<std::string>{"scale=3", "annotate=capacity-bbb", "scale=2"});
  // Down to zero: the API omits spec.replicas, which reads as 0.
  REQUIRE(k8s.scale({.from = 2, .to = 0}));
  CHECK(*k8s.current() == 0);
  CHECK(api.problems().empty());
  for (const auto& p : api.problems()) WARN(p);
}

TEST_CASE("kubernetes: API errors name the status and message, a wrong CA is refused") {
  TempDir dir;
  auto tls = make_self_signed(dir.path);
  FakeApiServer api(tls);
  KubernetesActuator k8s(k8s_config(api, dir, tls));
  api.forbid(true);
  auto r = k8s.scale({.from = 2, .to = 4});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("HTTP 403"));
  CHECK_THAT(r.error().message, Catch::Contains("forbidden: no RBAC"));
  CHECK(api.replicas() == 2);

  TempDir other;
  auto wrong = make_self_signed(other.path);
  auto config = k8s_config(api, dir, tls);
  config.ca_file = wrong.cert;
  KubernetesActuator untrusted(config);
  api.forbid(false);
  auto u = untrusted.current();
  REQUIRE_FALSE(u);
  CHECK_THAT(u.error().message, Catch::Contains(api.url()));
  CHECK(api.scale_gets() == 0);  // never reached the handler

  config = k8s_config(api, dir, tls);
  config.token_file = dir.path / "missing";
  KubernetesActuator no_token(config);
  auto t = no_token.current();
  REQUIRE_FALSE(t);
  CHECK_THAT(t.error().message, Catch::Contains("token file"));
}

TEST_CASE("kubernetes: the controller sets replicas from creates published on NATS") {
  TempDir dir;
  auto tls = make_self_signed(dir.path);
  FakeApiServer api(tls);
  api.set_replicas(1);
  auto b = Bus::start();
  DecisionRecorder decisions(b.connection);
  AutoscalerConfig c;
  c.id = "as-k8s";
  c.policy = {.min_workers = 1,
              .max_workers = 5,
              .headroom = 0,
              .max_step_up = 4,
              .stabilisation = std::chrono::minutes(5),
              .scale_down = true,
              .worker_capacity = {4, 4096, 2}};
  c.lease.ttl = 1s;
  c.eval_interval = 200ms;
  c.provision = std::nullopt;
  http::Registry registry;
  Autoscaler scaler(c, b.connection,
                    std::make_unique<KubernetesActuator>(k8s_config(api, dir, tls)), registry);
  REQUIRE(scaler.start());
  REQUIRE(wait_for([&] { return scaler.is_leader(); }, 5s));
  for (int i = 0; i < 5; ++i) publish_create(b.connection, create_vm("vm-k" + std::to_string(i)));
  REQUIRE(wait_for([&] { return api.replicas() == 3; }, 5s));  // 5 VMs at 2 per worker
  auto up =
      decisions.wait([](const auto& d) { return d.action() == v1::SCALE_ACTION_SCALE_UP; }, 2s);
  REQUIRE(up);
  CHECK(up->from_nodes() == 1);
  CHECK(up->leader() == "as-k8s");
  CHECK(api.problems().empty());
}
