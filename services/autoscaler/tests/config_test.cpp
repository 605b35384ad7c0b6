// Settings from the environment: defaults, nonsense refused naming the variables.
#include <catch2/catch.hpp>

#include "aether/config/config.hpp"
#include "autoscaler_config.hpp"

using namespace aether;
using namespace aether::autoscaler;

namespace {

struct Loaded {
  config::Result<void> load;
  Result<Settings> settings;
};

Loaded load(std::map<std::string, std::string> vars) {
  config::Spec spec("aether-autoscaler", "test");
  auto fields = declare_config(spec);
  auto env = config::map_env(vars);
  Loaded out{spec.load(env), fail(Errc::kInvalidConfig, "not built")};
  if (out.load) out.settings = build_settings(*fields, env);
  return out;
}

std::string problems(const Loaded& l) {
  if (!l.load) return l.load.error().message;
  if (!l.settings) return l.settings.error().message;
  return "";
}

}  // namespace

TEST_CASE("config: defaults give a dry-run autoscaler with a 5 minute window") {
  auto l = load({{"AETHER_AUTOSCALER_ID", "as-1"}});
  INFO(problems(l));
  REQUIRE(l.settings);
  const auto& s = *l.settings;
  CHECK(s.actuator == "dry-run");
  CHECK(s.autoscaler.id == "as-1");
  CHECK(s.autoscaler.policy.min_workers == 0);
  CHECK(s.autoscaler.policy.max_workers == 10);
  CHECK(s.autoscaler.policy.headroom == Approx(0.1));
  CHECK(s.autoscaler.policy.stabilisation == std::chrono::minutes(5));
  CHECK(s.autoscaler.policy.worker_capacity.memory_mib == 2048);
  CHECK(s.autoscaler.consumers == std::vector<std::string>{"vm-create", "vm-create-small",
                                                           "vm-create-medium", "vm-create-large"});
  CHECK(s.kubernetes.resource == "deployments");
  CHECK(s.kubernetes.name == "aether-worker-capacity");
}

TEST_CASE("config: AETHER_VM_CLASSES gives the class consumers watched and provisioned") {
  auto l = load({{"AETHER_VM_CLASSES", "tiny=1x256,big=4x8GiB"}});
  INFO(problems(l));
  REQUIRE(l.settings);
  const auto& s = *l.settings;
  CHECK(s.autoscaler.consumers ==
        std::vector<std::string>{"vm-create", "vm-create-tiny", "vm-create-big"});
  REQUIRE(s.autoscaler.provision);
  const bus::VmClassTable want{{"tiny", 1, 256}, {"big", 4, 8192}};
  CHECK(s.autoscaler.provision->vm_classes == want);

  auto given = load({{"AETHER_VM_CLASSES", "tiny=1x256"}, {"AETHER_AUTOSCALER_CONSUMERS", "a,b"}});
  REQUIRE(given.settings);
  CHECK(given.settings->autoscaler.consumers == std::vector<std::string>{"a", "b"});

  auto bad = load({{"AETHER_VM_CLASSES", "tiny=0x256"}});
  REQUIRE_FALSE(bad.load);
  CHECK_THAT(bad.load.error().message, Catch::Contains("AETHER_VM_CLASSES=tiny=0x256") &&
                                           Catch::Contains("vCPUs must be a number"));
}

TEST_CASE("config: min above max is refused naming both variables") {
  auto l = load({{"AETHER_AUTOSCALER_MIN_WORKERS", "5"}, {"AETHER_AUTOSCALER_MAX_WORKERS", "2"}});
  REQUIRE_FALSE(l.load);
  CHECK_THAT(l.load.error().message, Catch::Contains("AETHER_AUTOSCALER_MAX_WORKERS=2"));
  CHECK_THAT(l.load.error().message, Catch::Contains("AETHER_AUTOSCALER_MIN_WORKERS (5)"));
}

TEST_CASE("config: negative headroom is refused") {
  auto l = load({{"AETHER_AUTOSCALER_HEADROOM_PERCENT", "-10"}});
  REQUIRE_FALSE(l.load);
  CHECK_THAT(l.load.error().message, Catch::Contains("AETHER_AUTOSCALER_HEADROOM_PERCENT=-10"));
}

TEST_CASE("config: a zero stabilisation window with scale-down on is refused, off is fine") {
  auto bad = load({{"AETHER_AUTOSCALER_STABILISATION_WINDOW", "0"}});
  REQUIRE_FALSE(bad.load);
  CHECK_THAT(bad.load.error().message, Catch::Contains("AETHER_AUTOSCALER_STABILISATION_WINDOW=0"));
  CHECK_THAT(bad.load.error().message, Catch::Contains("AETHER_AUTOSCALER_SCALE_DOWN"));
  auto ok = load(
      {{"AETHER_AUTOSCALER_STABILISATION_WINDOW", "0"}, {"AETHER_AUTOSCALER_SCALE_DOWN", "false"}});
  INFO(problems(ok));
  CHECK(ok.settings);
}

TEST_CASE("config: the exec actuator needs its command, a bad actuator name is refused") {
  auto exec = load({{"AETHER_AUTOSCALER_ACTUATOR", "exec"}});
  REQUIRE_FALSE(exec.load);
  CHECK_THAT(exec.load.error().message, Catch::Contains("AETHER_AUTOSCALER_EXEC_COMMAND"));
  auto bad = load({{"AETHER_AUTOSCALER_ACTUATOR", "magic"}});
  REQUIRE_FALSE(bad.load);
  CHECK_THAT(bad.load.error().message, Catch::Contains("AETHER_AUTOSCALER_ACTUATOR=magic"));
}

TEST_CASE("config: kubernetes outside a cluster needs the API URL, in-cluster it is derived") {
  auto outside = load({{"AETHER_AUTOSCALER_ACTUATOR", "kubernetes"}});
  REQUIRE(outside.load);
  REQUIRE_FALSE(outside.settings);
  CHECK_THAT(outside.settings.error().message, Catch::Contains("AETHER_AUTOSCALER_K8S_API"));
  auto inside = load({{"AETHER_AUTOSCALER_ACTUATOR", "kubernetes"},
                      {"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                      {"KUBERNETES_SERVICE_PORT", "443"},
                      {"AETHER_AUTOSCALER_K8S_NAMESPACE", "prod"},
                      {"AETHER_AUTOSCALER_K8S_WORKLOAD", "statefulsets/capacity"}});
  INFO(problems(inside));
  REQUIRE(inside.settings);
  CHECK(inside.settings->kubernetes.api_url == "https://10.96.0.1:443");
  CHECK(inside.settings->kubernetes.namespace_name == "prod");
  CHECK(inside.settings->kubernetes.resource == "statefulsets");
  auto workload = load({{"AETHER_AUTOSCALER_K8S_WORKLOAD", "pods/x"}});
  REQUIRE_FALSE(workload.load);
  CHECK_THAT(workload.load.error().message, Catch::Contains("AETHER_AUTOSCALER_K8S_WORKLOAD"));
}

TEST_CASE("config: local actuator env items must be KEY=VALUE") {
  auto l = load({{"AETHER_AUTOSCALER_LOCAL_ENV", "A=1,oops"}});
  REQUIRE_FALSE(l.load);
  CHECK_THAT(l.load.error().message, Catch::Contains("'oops' must be KEY=VALUE"));
}
