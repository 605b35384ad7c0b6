// Labelling and taint removal against a test HTTPS server that plays the API
// server's side and checks every request (fake_api_server.hpp).
#include <catch2/catch.hpp>

#include "fake_api_server.hpp"
#include "node_labeler.hpp"

using namespace aether::provisioner;
using namespace aether::provisioner::testing;
using nlohmann::json;

namespace {
const std::string kToken = "test-token-7f3a";

NodeReport usable_report() {
  NodeReport r;
  r.node = "worker-1";
  r.kvm_usable = true;
  r.hypervisor_usable = true;
  r.runtime = "qemu";
  r.assets_version = "abcdef012345";
  r.checks.push_back({"kvm", CheckResult::kPass, "usable", true, {}});
  r.checks.push_back({"assets", CheckResult::kPass, "4 files verified", true, {}});
  return r;
}

NodeReport unusable_report() {
  NodeReport r = usable_report();
  r.kvm_usable = false;
  r.hypervisor_usable = false;
  r.runtime.clear();
  r.checks[0] = {"kvm",
                 CheckResult::kFail,
                 "unusable: the guest kernel did not answer under KVM within 10 s",
                 true,
                 {}};
  return r;
}

KubeCredentials credentials(const FakeApiServer& api, const TestTls& tls) {
  KubeCredentials c;
  c.server = api.url();
  c.token = kToken;
  c.ca_file = tls.ca_cert.string();
  c.source = "test";
  return c;
}

std::string base64(const std::string& in) {
  static const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(chars[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(chars[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return out;
}
}  // namespace

TEST_CASE("a usable node is labelled and loses the unprovisioned taint, nothing else changes") {
  TestTls tls;
  FakeApiServer api(tls, "worker-1", kToken);
  NodeLabeler labeler(KubeClient(credentials(api, tls)), "worker-1");
  auto outcome = labeler.apply(usable_report());
  REQUIRE(outcome);
  CHECK(outcome->patched);
  CHECK(outcome->taint_removed);
  CHECK(outcome->labels == std::map<std::string, std::string>{{"aether.io/assets", "abcdef012345"},
                                                              {"aether.io/kvm", "true"},
                                                              {"aether.io/runtime", "qemu"}});
  const auto requests = api.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].path == "/api/v1/nodes/worker-1");
  CHECK(requests[0].authorization == "Bearer " + kToken);
  CHECK(requests[1].method == "PATCH");
  CHECK(requests[1].path == "/api/v1/nodes/worker-1");
  CHECK(requests[1].content_type == "application/merge-patch+json");
  CHECK(requests[1].authorization == "Bearer " + kToken);
  CHECK(json::parse(requests[1].body) == json::parse(R"({
    "metadata": {"labels": {"aether.io/assets": "abcdef012345", "aether.io/kvm": "true",
                            "aether.io/runtime": "qemu"},
                 "resourceVersion": "100"},
    "spec": {"taints": [{"key": "dedicated", "value": "vms", "effect": "NoSchedule"}]}})"));
  CHECK(api.violations().empty());
  const auto node = api.node();
  CHECK(node["metadata"]["labels"]["team"] == "infra");
  CHECK(node["metadata"]["labels"]["kubernetes.io/hostname"] == "worker-1");
  CHECK(node["metadata"]["annotations"]["node.alpha.kubernetes.io/ttl"] == "0");
  CHECK(node["spec"]["taints"].size() == 1);

  // A second round with the same report sends no PATCH.
  auto again = labeler.apply(usable_report());
  REQUIRE(again);
  CHECK_FALSE(again->patched);
  CHECK(api.requests().size() == 3);
}

TEST_CASE("when a capability goes away the labels go, and the annotation says why") {
  TestTls tls;
  FakeApiServer api(tls, "worker-1", kToken);
  NodeLabeler labeler(KubeClient(credentials(api, tls)), "worker-1");
  REQUIRE(labeler.apply(usable_report()));
  auto outcome = labeler.apply(unusable_report());
  REQUIRE(outcome);
  CHECK(outcome->labels == std::map<std::string, std::string>{{"aether.io/kvm", "false"}});
  const auto node = api.node();
  CHECK_FALSE(node["metadata"]["labels"].contains("aether.io/runtime"));
  CHECK_FALSE(node["metadata"]["labels"].contains("aether.io/assets"));
  CHECK(node["metadata"]["labels"]["team"] == "infra");
  CHECK(node["metadata"]["annotations"]["aether.io/failed-checks"] ==
        "kvm: unusable: the guest kernel did not answer under KVM within 10 s");
  CHECK(api.violations().empty());
}

TEST_CASE("403 from the API server is a clear error and changes nothing") {
  TestTls tls;
  FakeApiServer api(tls, "worker-1", kToken);
  api.forbid_patches(true);
  NodeLabeler labeler(KubeClient(credentials(api, tls)), "worker-1");
  auto outcome = labeler.apply(usable_report());
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().code == Errc::kKubeForbidden);
  CHECK_THAT(outcome.error().message, Catch::Contains("PATCH /api/v1/nodes/worker-1: 403"));
  CHECK_THAT(outcome.error().message, Catch::Contains("cannot patch resource \"nodes\""));
  CHECK_THAT(outcome.error().message, Catch::Contains("RBAC"));
  CHECK_FALSE(api.node()["metadata"]["labels"].contains("aether.io/kvm"));
}

TEST_CASE("409 (the node changed between GET and PATCH) is retried on a fresh read") {
  TestTls tls;
  FakeApiServer api(tls, "worker-1", kToken);
  api.concurrent_writes(2);
  NodeLabeler labeler(KubeClient(credentials(api, tls)), "worker-1");
  auto outcome = labeler.apply(usable_report());
  REQUIRE(outcome);
  CHECK(outcome->conflicts == 2);
  CHECK(outcome->taint_removed);
  const auto node = api.node();
  CHECK(node["metadata"]["labels"]["team"] == "infra-0");  // the other writer's change survives
  CHECK(node["spec"]["taints"].size() == 1);
  // Retries run out: the 409 is returned.
  api.set_node([&] {
    auto n = node;
    n["spec"]["taints"].push_back({{"key", "aether.io/unprovisioned"}, {"effect", "NoSchedule"}});
    return n;
  }());
  api.concurrent_writes(100);
  NodeLabeler impatient(KubeClient(credentials(api, tls)), "worker-1", 1);
  auto conflict = impatient.apply(usable_report());
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().code == Errc::kKubeConflict);
  CHECK_THAT(conflict.error().message, Catch::Contains("the object has been modified"));
}

TEST_CASE("a wrong token, an unknown CA and an unreachable server are told apart") {
  TestTls tls;
  FakeApiServer api(tls, "worker-1", kToken);
  auto wrong = credentials(api, tls);
  wrong.token = "stolen";
  auto denied = KubeClient(wrong).get_node("worker-1");
  REQUIRE_FALSE(denied);
  CHECK(denied.error().code == Errc::kKubeForbidden);

  auto no_ca = credentials(api, tls);
  no_ca.ca_file.clear();
  auto untrusted = KubeClient(no_ca).get_node("worker-1");
  REQUIRE_FALSE(untrusted);
  CHECK(untrusted.error().code == Errc::kKubeUnreachable);

  auto gone = credentials(api, tls);
  gone.server = "https://127.0.0.1:1";
  auto unreachable = KubeClient(gone).get_node("worker-1");
  REQUIRE_FALSE(unreachable);
  CHECK(unreachable.error().code == Errc::kKubeUnreachable);
  CHECK_THAT(unreachable.error().message, Catch::Contains("https://127.0.0.1:1"));
}

TEST_CASE("credentials from a service-account dir and from a kubeconfig reach the server") {
  TestTls tls;
  FakeApiServer api(tls, "worker-1", kToken);
  const auto port = api.url().substr(api.url().rfind(':') + 1);

  TempDir sa;
  write_file(sa.path / "token", kToken + "\n");
  write_file(sa.path / "ca.crt", read_file(tls.ca_cert));
  auto env = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "KUBERNETES_SERVICE_HOST") return "127.0.0.1";
    if (name == "KUBERNETES_SERVICE_PORT") return port;
    return std::nullopt;
  };
  auto in_cluster = in_cluster_credentials(env, sa.path.string());
  REQUIRE(in_cluster);
  CHECK(in_cluster->server == api.url());
  CHECK(KubeClient(*in_cluster).get_node("worker-1"));
  // The token file is read on every call: a rotated token is picked up.
  write_file(sa.path / "token", "rotated\n");
  CHECK_FALSE(KubeClient(*in_cluster).get_node("worker-1"));
  CHECK(api.requests().back().authorization == "Bearer rotated");

  TempDir home;
  write_file(home.path / "config",
             "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
             "clusters:\n- name: c\n  cluster:\n    server: " +
                 api.url() + "\n    certificate-authority-data: " + base64(read_file(tls.ca_cert)) +
                 "\ncontexts:\n- name: test\n  context: {cluster: c, user: u}\n"
                 "users:\n- name: u\n  user:\n    token: " +
                 kToken + "\n");
  auto kubeconfig = kubeconfig_credentials((home.path / "config").string());
  REQUIRE(kubeconfig);
  CHECK(KubeClient(*kubeconfig).get_node("worker-1"));

  auto missing = kubeconfig_credentials((home.path / "config").string(), "other");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("no context 'other'"));
  auto no_sa = in_cluster_credentials(env, (sa.path / "nope").string());
  REQUIRE_FALSE(no_sa);
  CHECK(no_sa.error().code == Errc::kKubeAuth);
}
