#include <catch2/catch.hpp>

#include "provisioner_config.hpp"

using namespace aether::provisioner;
namespace cfg = aether::config;

namespace {
EnvGetter getter(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
Result<ServiceSettings> settings_for(std::map<std::string, std::string> vars) {
  cfg::Spec spec("aether-node-provisioner", "test");
  auto fields = declare_provisioner_config(spec);
  auto loaded = spec.load(cfg::map_env(vars));
  if (!loaded) return fail(Errc::kInvalidConfig, loaded.error().message);
  return build_settings(*fields, getter(vars), "1.2.3");
}
}  // namespace

TEST_CASE("defaults: emulation off, Kubernetes off on a plain host, /var/lib/aether") {
  auto s = settings_for({{"AETHER_NODE_NAME", "n1"}});
  REQUIRE(s);
  CHECK(s->provisioner.node == "n1");
  CHECK(s->provisioner.asset_dir == "/var/lib/aether");
  CHECK_FALSE(s->provisioner.hypervisor.allow_emulation);
  CHECK(s->kube == KubeMode::kOff);
  CHECK_FALSE(make_labeler_factory(*s, getter({})));
}

TEST_CASE("AETHER_KUBE=auto: in-cluster in a pod, the kubeconfig outside") {
  auto pod = settings_for({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}});
  REQUIRE(pod);
  CHECK(pod->kube == KubeMode::kInCluster);
  auto outside = settings_for({{"KUBECONFIG", "/root/.kube/config"}});
  REQUIRE(outside);
  CHECK(outside->kube == KubeMode::kKubeconfig);
  CHECK(outside->kubeconfig == "/root/.kube/config");
  // In a pod without a mounted token the factory says so (and is retried).
  auto factory = make_labeler_factory(*pod, getter({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}}));
  REQUIRE(factory);
  auto labeler = factory();
  REQUIRE_FALSE(labeler);
  CHECK(labeler.error().code == Errc::kKubeAuth);
  CHECK_THAT(labeler.error().message, Catch::Contains("no service-account token"));
}

TEST_CASE("bad values are named") {
  auto kubeconfig = settings_for({{"AETHER_KUBE", "kubeconfig"}});
  REQUIRE_FALSE(kubeconfig);
  CHECK_THAT(kubeconfig.error().message, Catch::Contains("AETHER_KUBECONFIG or KUBECONFIG"));
  auto extra = settings_for({{"AETHER_EXTRA_ASSETS", "fc=https://x/fc"}});
  REQUIRE_FALSE(extra);
  CHECK_THAT(extra.error().message, Catch::Contains("AETHER_EXTRA_ASSETS item 'fc=https://x/fc'"));
  auto relative = settings_for({{"AETHER_ASSET_DIR", "var/lib"}});
  REQUIRE_FALSE(relative);
  CHECK_THAT(relative.error().message, Catch::Contains("must be an absolute path"));
  auto emulation = settings_for({{"AETHER_ALLOW_EMULATION", "maybe"}});
  REQUIRE_FALSE(emulation);
  CHECK_THAT(emulation.error().message, Catch::Contains("AETHER_ALLOW_EMULATION=maybe"));
}
