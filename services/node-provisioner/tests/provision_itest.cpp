// Whole rounds on this machine: the real guest image (fixture
// aether_guest_image), the real KVM probe (which boots it under KVM), real
// QEMU, a real nats-server for the events and the probe request, and the
// fake API server for the labels. One probe boot per test binary: the later
// rounds reuse the cached verdict (same probe cache dir).
#include <google/protobuf/empty.pb.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "aether/bus/jetstream.hpp"
#include "aether/bus/pull.hpp"
#include "aether/devstack/nats_server.hpp"
#include "aether/devstack/shell.hpp"
#include "aether/vmm/kvm_probe.hpp"
#include "fake_api_server.hpp"
#include "node_agent.hpp"
#include "once.hpp"

using namespace aether;
using namespace aether::provisioner;
using namespace aether::provisioner::testing;
namespace fs = std::filesystem;

namespace {

fs::path guest_dir() {
  const char* dir = std::getenv("AETHER_GUEST_DIR");
  REQUIRE(dir != nullptr);
  return dir;
}

// A probe cache shared by the test processes (ctest runs each case in its
// own), so only one of them boots the guest under KVM; the verdict is keyed
// by host, kernel and initrd, so reusing it is what production does too.
fs::path probe_cache() {
  const char* dir = std::getenv("AETHER_BINARY_DIR");  // set by aether_catch_main
  REQUIRE(dir != nullptr);
  return fs::path(dir) / "services/node-provisioner/probe-cache";
}

ProvisionerConfig config_for(const fs::path& assets, bool allow_emulation,
                             const std::string& node = "node-a",
                             const fs::path& cache = probe_cache()) {
  ProvisionerConfig c;
  c.node = node;
  c.asset_dir = assets;
  c.guest_source_dir = guest_dir();
  c.hypervisor.allow_emulation = allow_emulation;
  c.hypervisor.cache_dir = cache;
  c.host.min_disk_free = 256ull << 20;
  return c;
}

const Check& check_named(const NodeReport& r, const std::string& name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return c;
  }
  FAIL("no check " << name);
  throw;
}

bool kvm_usable_here() {
  static const bool usable = [] {
    TempDir work;
    vmm::KvmProbeOptions o;
    o.kernel = guest_dir() / "vmlinux";
    o.initrd = guest_dir() / "initramfs.cpio";
    o.cache_dir = probe_cache();
    o.work_dir = work.path;
    auto v = vmm::probe_kvm(o);
    REQUIRE(v);
    return v->usable;
  }();
  return usable;
}

}  // namespace

TEST_CASE("the real probe: KVM unusable here is said with its reason, emulation makes it qemu") {
  TempDir assets;
  TempDir fresh_cache;  // a real probe, not a cached verdict
  http::Registry registry;
  Provisioner strict(config_for(assets.path, false, "node-a", fresh_cache.path), registry);
  const NodeReport r = strict.run();
  WARN(report_text(r));
  const Check& assets_check = check_named(r, "assets");
  CHECK(assets_check.result == CheckResult::kPass);
  CHECK_THAT(assets_check.reason, Catch::Contains("copied"));
  CHECK(strict.last_install().bytes_copied() > 1'000'000);
  CHECK(r.asset_sha256.contains("guest/vmlinux"));
  CHECK(r.assets_version.size() == 12);
  const Check& kvm = check_named(r, "kvm");
  CHECK(r.kvm_usable == kvm_usable_here());
  if (!r.kvm_usable) {
    // This machine: /dev/kvm passes the cheap checks, the kernel never comes up.
    CHECK(kvm.result == CheckResult::kFail);
    CHECK(kvm.required);
    CHECK_THAT(kvm.reason, Catch::StartsWith("unusable: "));
    std::error_code ec;
    if (!fs::exists("/dev/kvm", ec)) {
      CHECK_THAT(kvm.reason, Catch::Contains("cannot open /dev/kvm"));
    } else if (std::find(strict.last_hypervisor().probe_steps.begin(),
                         strict.last_hypervisor().probe_steps.end(),
                         "cheap checks: passed") != strict.last_hypervisor().probe_steps.end()) {
      // The nested/PVM case: everything cheap passes, the kernel never answers.
      CHECK_THAT(
          kvm.reason,
          Catch::Contains("unusable: the guest kernel did not answer under KVM within 10 s"));
    }
    CHECK(r.state() == NodeState::kUnsupported);
    CHECK_FALSE(r.usable());
    CHECK(check_named(r, "runtime").reason ==
          "no usable KVM, and software emulation is not allowed (AETHER_ALLOW_EMULATION=false)");
    CHECK(once_exit_code({r, {}, {}, {}}) == kExitUnsupported);
  } else {
    CHECK(r.usable());
  }

  CHECK_THAT(kvm.reason, !Catch::Contains("cached"));
  CHECK(strict.last_hypervisor().probe_time.count() > 0);
  Provisioner relaxed(config_for(assets.path, true, "node-a", fresh_cache.path), registry);
  const NodeReport e = relaxed.run();
  CHECK(relaxed.last_install().bytes_copied() == 0);  // a second run copies nothing
  CHECK_THAT(check_named(e, "assets").reason, Catch::EndsWith(", 0 copied"));
  CHECK(e.usable());
  CHECK(e.state() == NodeState::kProvisioned);
  if (!e.kvm_usable) {
    CHECK(e.runtime == "qemu");
    CHECK_THAT(check_named(e, "runtime").reason, Catch::Contains("software emulation (TCG)"));
    CHECK_FALSE(check_named(e, "kvm").required);
    CHECK_THAT(check_named(e, "kvm").reason, Catch::Contains("(cached verdict)"));
  }
  CHECK_THAT(registry.serialize(),
             Catch::Contains("aether_node_check{check=\"kvm\",result=\"fail\"}"));
}

TEST_CASE("a partial install never labels the node usable") {
  TempDir assets;
  TestTls tls;
  FakeApiServer api(tls, "node-a", "tok");
  http::Registry registry;
  auto config = config_for(assets.path, true);
  write_file(assets.path / "src/fc", "firecracker bytes");
  config.extra_assets.push_back(
      {"extra/firecracker", (assets.path / "src/fc").string(), std::string(64, 'b')});
  Provisioner provisioner(config, registry);
  KubeCredentials c{.server = api.url(), .token = "tok", .ca_file = tls.ca_cert.string()};
  NodeAgent agent(provisioner,
                  [&]() -> Result<NodeLabeler> { return NodeLabeler(KubeClient(c), "node-a"); },
                  std::nullopt, registry, {});
  const RoundResult r = agent.round();
  CHECK(r.report.state() == NodeState::kDegraded);
  CHECK_THAT(check_named(r.report, "assets").reason, Catch::Contains("does not match the pinned"));
  CHECK(r.report.assets_version.empty());
  CHECK(once_exit_code(r) == kExitDegraded);
  REQUIRE_FALSE(r.label_error);
  const auto node = api.node();
  CHECK(node["metadata"]["labels"]["aether.io/kvm"] == "false");
  CHECK_FALSE(node["metadata"]["labels"].contains("aether.io/runtime"));
  CHECK_FALSE(node["metadata"]["labels"].contains("aether.io/assets"));
  CHECK(node["spec"]["taints"].size() == 2);  // the unprovisioned taint stays
  CHECK_THAT(node["metadata"]["annotations"]["aether.io/failed-checks"].get<std::string>(),
             Catch::Contains("extra/firecracker"));
  CHECK_THAT(registry.serialize(), Catch::Contains("aether_node_asset_install_failures_total 1"));
}

TEST_CASE("a missing token keeps /readyz false and is retried until it appears") {
  TempDir assets;
  TempDir sa;
  TestTls tls;
  FakeApiServer api(tls, "node-a", "late-token");
  write_file(sa.path / "ca.crt", read_file(tls.ca_cert));
  const auto port = api.url().substr(api.url().rfind(':') + 1);
  auto env = [port](const std::string& name) -> std::optional<std::string> {
    if (name == "KUBERNETES_SERVICE_HOST") return "127.0.0.1";
    if (name == "KUBERNETES_SERVICE_PORT") return port;
    return std::nullopt;
  };
  http::Registry registry;
  Provisioner provisioner(config_for(assets.path, true), registry);
  NodeAgentOptions options;
  options.interval = std::chrono::hours(1);
  options.retry_min = std::chrono::milliseconds(50);
  options.retry_max = std::chrono::milliseconds(200);
  NodeAgent agent(
      provisioner,
      [&]() -> Result<NodeLabeler> {
        auto c = in_cluster_credentials(env, sa.path.string());
        if (!c) return std::unexpected(c.error());
        return NodeLabeler(KubeClient(*c), "node-a");
      },
      std::nullopt, registry, options);
  REQUIRE(agent.start());
  auto why = agent.not_ready();
  REQUIRE(why);
  CHECK_THAT(*why, Catch::Contains("no service-account token"));
  write_file(sa.path / "token", "late-token");
  for (int i = 0; i < 200 && agent.not_ready(); ++i) ::usleep(50'000);
  CHECK_FALSE(agent.not_ready());
  agent.stop();
  CHECK(api.node()["metadata"]["labels"]["aether.io/runtime"] == "qemu");
  CHECK(api.node()["spec"]["taints"].size() == 1);
  CHECK_THAT(registry.serialize(),
             Catch::Contains("aether_node_kube_failures_total{reason=\"auth\"}"));
}

TEST_CASE("events and the probe request on a real nats-server") {
  auto nats = devstack::NatsServer::start();
  REQUIRE(nats);
  auto bus = bus::Connection::connect({.url = nats->url(), .name = "np-itest"});
  REQUIRE(bus);
  TempDir assets;
  http::Registry registry;
  Provisioner provisioner(config_for(assets.path, true, "node-a.example"), registry);
  NodeAgentOptions options;
  options.interval = std::chrono::hours(1);
  options.version = "1.2.3";
  NodeAgent agent(provisioner, {}, *bus, registry, options);
  REQUIRE(agent.start());  // creates AETHER_EVENTS if missing, publishes the first round

  REQUIRE(bus::ensure_consumer(
      *bus,
      {.stream = "AETHER_EVENTS", .durable = "np-itest", .filter_subject = "aether.evt.node.>"}));
  auto consumer = bus::PullConsumer::bind(*bus, "AETHER_EVENTS", "np-itest");
  REQUIRE(consumer);
  auto first = consumer->fetch(10, std::chrono::seconds(5));
  REQUIRE(first);
  REQUIRE(first->size() == 1);
  CHECK((*first)[0].subject() == "aether.evt.node.node-a_example.provisioned");
  auto event = (*first)[0].decode_as<v1::NodeEvent>();
  REQUIRE(event);
  (void)(*first)[0].ack();
  CHECK(event->node() == "node-a.example");
  CHECK(event->state() == v1::NODE_STATE_READY);
  CHECK(event->usable());
  CHECK(event->runtime() == (event->kvm_usable() ? event->runtime() : "qemu"));
  CHECK(event->checks_size() >= 11);
  CHECK(event->labels().at("aether.io/runtime") == event->runtime());
  CHECK(event->asset_sha256().contains("guest/initramfs.cpio"));

  auto reply =
      bus->request<v1::NodeEvent>(node_probe_subject("node-a.example"), google::protobuf::Empty(),
                                  {.timeout = std::chrono::seconds(60)});
  REQUIRE(reply);
  CHECK(reply->node() == "node-a.example");
  CHECK(reply->checks_size() == event->checks_size());
  auto second = consumer->fetch(10, std::chrono::seconds(5));
  REQUIRE(second);
  REQUIRE(second->size() == 1);  // the requested round was published too
  CHECK((*second)[0].subject() == "aether.evt.node.node-a_example.provisioned");

  auto ping = bus->request_raw("$SRV.PING.node-provisioner", "", {}, std::chrono::seconds(2));
  REQUIRE(ping);
  const auto pong = nlohmann::json::parse(ping->data);
  CHECK(pong["name"] == "node-provisioner");
  CHECK(pong["version"] == "1.2.3");
  auto info = bus->request_raw("$SRV.INFO.node-provisioner", "", {}, std::chrono::seconds(2));
  REQUIRE(info);
  CHECK(nlohmann::json::parse(info->data)["endpoints"][0]["subject"] ==
        "aether.node.node-a_example.probe");
  agent.stop();
}

TEST_CASE("once mode: the report on stdout and the documented exit codes") {
  TempDir assets;
  const std::string bin = std::string(std::getenv("AETHER_BINARY_DIR")) +
                          "/services/node-provisioner/aether-node-provisioner";
  const std::string env =
      "env -u NATS_URL AETHER_LOG_LEVEL=warn AETHER_NODE_NAME=node-once AETHER_ASSET_DIR=" +
      assets.path.string() + " AETHER_GUEST_SOURCE_DIR=" + guest_dir().string() +
      " AETHER_MIN_DISK_FREE=256MiB AETHER_KUBE=off ";
  // Share the binary's probe cache with ours: no second boot.
  fs::create_directories(assets.path);
  fs::create_directories(probe_cache());
  fs::create_directory_symlink(probe_cache(), assets.path / "probe-cache");
  const auto strict = devstack::run_command(env + bin + " --once --report json; echo \"exit=$?\"");
  const auto json_end = strict.output.rfind("exit=");
  REQUIRE(json_end != std::string::npos);
  const auto report = nlohmann::json::parse(strict.output.substr(0, json_end));
  CHECK(report["node"] == "node-once");
  const std::string expected = kvm_usable_here() ? "exit=0" : "exit=10";
  CHECK_THAT(strict.output, Catch::Contains(expected));
  CHECK(report["state"] == (kvm_usable_here() ? "provisioned" : "unsupported"));

  const auto relaxed = devstack::run_command(env + "AETHER_ALLOW_EMULATION=true " + bin +
                                             " --once --report text; echo \"exit=$?\"");
  CHECK_THAT(relaxed.output, Catch::Contains("node node-once: provisioned (usable, runtime"));
  CHECK_THAT(relaxed.output, Catch::Contains("exit=0"));

  const auto bad =
      devstack::run_command("AETHER_EXTRA_ASSETS=fc=/x " + bin + " --once 2>&1; echo \"exit=$?\"");
  CHECK_THAT(bad.output, Catch::Contains("AETHER_EXTRA_ASSETS item 'fc=/x'"));
  CHECK_THAT(bad.output, Catch::Contains("exit=3"));
}

TEST_CASE("once mode with NATS_URL set publishes the round's NodeEvent") {
  auto nats = devstack::NatsServer::start();
  REQUIRE(nats);
  TempDir assets;
  const std::string bin = std::string(std::getenv("AETHER_BINARY_DIR")) +
                          "/services/node-provisioner/aether-node-provisioner";
  fs::create_directories(assets.path);
  fs::create_directories(probe_cache());
  fs::create_directory_symlink(probe_cache(), assets.path / "probe-cache");
  const std::string env =
      "AETHER_LOG_LEVEL=warn AETHER_NODE_NAME=node-once.local AETHER_ASSET_DIR=" +
      assets.path.string() + " AETHER_GUEST_SOURCE_DIR=" + guest_dir().string() +
      " AETHER_MIN_DISK_FREE=256MiB AETHER_KUBE=off AETHER_ALLOW_EMULATION=true ";
  // No stream yet: --once creates AETHER_EVENTS (as `make run` calls it before
  // any other service has provisioned the bus).
  const auto run = devstack::run_command(env + "NATS_URL=" + nats->url() + " " + bin +
                                         " --once --report text; echo \"exit=$?\"");
  CHECK_THAT(run.output, Catch::Contains("provisioned (usable"));
  CHECK_THAT(run.output, Catch::Contains("exit=0"));

  auto bus = bus::Connection::connect({.url = nats->url(), .name = "np-once-itest"});
  REQUIRE(bus);
  REQUIRE(bus::ensure_consumer(*bus, {.stream = "AETHER_EVENTS",
                                      .durable = "np-once-itest",
                                      .filter_subject = "aether.evt.node.>"}));
  auto consumer = bus::PullConsumer::bind(*bus, "AETHER_EVENTS", "np-once-itest");
  REQUIRE(consumer);
  auto got = consumer->fetch(10, std::chrono::seconds(5));
  REQUIRE(got);
  REQUIRE(got->size() == 1);
  CHECK((*got)[0].subject() == "aether.evt.node.node-once_local.provisioned");
  auto event = (*got)[0].decode_as<v1::NodeEvent>();
  REQUIRE(event);
  CHECK(event->node() == "node-once.local");
  CHECK(event->usable());
  CHECK(event->checks_size() >= 11);

  // NATS_URL set but nothing listens: exit 1, naming NATS; nothing half-done.
  const auto port = nats->port();
  (void)nats->stop();
  const auto down =
      devstack::run_command(env + "NATS_URL=nats://127.0.0.1:" + std::to_string(port) + " " + bin +
                            " --once 2>&1; echo \"exit=$?\"");
  CHECK_THAT(down.output, Catch::Contains("NATS"));
  CHECK_THAT(down.output, Catch::Contains("exit=1"));
}
