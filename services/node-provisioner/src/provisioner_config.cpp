#include "provisioner_config.hpp"

#include <unistd.h>

namespace aether::provisioner {
namespace cfg = aether::config;

class ProvisionerFields {
 public:
  explicit ProvisionerFields(cfg::Spec& s)
      : nats_url(s.string("NATS_URL", "nats://127.0.0.1:4222", "NATS server(s)")
                     .url_list({"nats", "tls"})),
        node(s.string("AETHER_NODE_NAME", "",
                      "this Kubernetes node's name (DaemonSet: spec.nodeName via the downward "
                      "API; empty: the host name)")),
        asset_dir(s.string("AETHER_ASSET_DIR", "/var/lib/aether",
                           "where the VM assets are installed on the node (a hostPath)")
                      .non_empty()),
        guest_source(s.string("AETHER_GUEST_SOURCE_DIR", "/opt/aether/guest",
                              "the guest image shipped in this image (manifest.json beside it); "
                              "empty: install no guest, check what is installed")),
        template_source(s.string("AETHER_TEMPLATE_SOURCE_DIR", "",
                                 "templates shipped in this image (build-template.sh dirs), "
                                 "installed as <asset dir>/templates/NAME; empty: none")),
        extra_assets(s.list("AETHER_EXTRA_ASSETS", {},
                            "extra assets, each NAME=SOURCE#sha256=HEX (SOURCE https://, "
                            "file:///PATH or /PATH), installed as <asset dir>/extra/NAME")),
        asset_ca(s.string("AETHER_ASSET_CA_FILE", "",
                          "extra CA bundle for https asset sources (empty: the system's)")),
        runtime(s.choice("AETHER_RUNTIME", "auto", {"auto", "firecracker", "qemu"},
                         "the runtime the node is checked for (auto: firecracker when KVM "
                         "works and it is installed, else qemu)")),
        qemu(s.string("AETHER_QEMU_BINARY", "qemu-system-x86_64", "QEMU binary").non_empty()),
        firecracker(
            s.string("AETHER_FIRECRACKER_BINARY", "firecracker", "Firecracker binary").non_empty()),
        allow_emulation(s.boolean("AETHER_ALLOW_EMULATION", false,
                                  "count software emulation (QEMU/TCG) as usable when KVM is "
                                  "not (development and tests only)")),
        network(s.choice("AETHER_NETWORK", "off", {"off", "on"},
                         "per-VM networking on this node: /dev/net/tun and ip_forward needed")),
        probe_timeout(s.duration("AETHER_PROBE_BOOT_TIMEOUT", std::chrono::seconds(10),
                                 "how long the KVM probe waits for the guest's agent under KVM")
                          .range(std::chrono::seconds(1), std::chrono::minutes(10))),
        probe_cache(s.boolean("AETHER_PROBE_CACHE", true,
                              "reuse the KVM verdict while host, kernel and image are unchanged")),
        min_memory(s.size("AETHER_MIN_MEMORY", 1ull << 30, "memory that must be available")),
        min_disk(
            s.size("AETHER_MIN_DISK_FREE", 2ull << 30, "free disk needed under AETHER_ASSET_DIR")),
        min_map_count(
            s.integer("AETHER_MIN_MAX_MAP_COUNT", 65530, "smallest vm.max_map_count accepted")
                .range(1, 1ll << 31)),
        interval(s.duration("AETHER_PROBE_INTERVAL", std::chrono::minutes(10),
                            "time between provisioning rounds (DaemonSet mode)")
                     .range(std::chrono::seconds(1), std::chrono::hours(24))),
        retry_max(s.duration("AETHER_KUBE_RETRY_MAX", std::chrono::minutes(1),
                             "longest pause between retries of a failed labelling")
                      .range(std::chrono::seconds(1), std::chrono::hours(1))),
        kube(s.choice("AETHER_KUBE", "auto", {"auto", "in-cluster", "kubeconfig", "off"},
                      "how to reach the API server (auto: in-cluster when "
                      "KUBERNETES_SERVICE_HOST is set, else KUBECONFIG when set, else off)")),
        kubeconfig(s.string("AETHER_KUBECONFIG", "",
                            "kubeconfig file for a run outside the cluster (empty: $KUBECONFIG)")),
        kube_context(s.string("AETHER_KUBE_CONTEXT", "", "kubeconfig context (empty: current)")) {}

  cfg::StringField& nats_url;
  cfg::StringField& node;
  cfg::StringField& asset_dir;
  cfg::StringField& guest_source;
  cfg::StringField& template_source;
  cfg::ListField& extra_assets;
  cfg::StringField& asset_ca;
  cfg::ChoiceField& runtime;
  cfg::StringField& qemu;
  cfg::StringField& firecracker;
  cfg::BoolField& allow_emulation;
  cfg::ChoiceField& network;
  cfg::DurationField& probe_timeout;
  cfg::BoolField& probe_cache;
  cfg::SizeField& min_memory;
  cfg::SizeField& min_disk;
  cfg::IntField& min_map_count;
  cfg::DurationField& interval;
  cfg::DurationField& retry_max;
  cfg::ChoiceField& kube;
  cfg::StringField& kubeconfig;
  cfg::StringField& kube_context;
};

std::unique_ptr<ProvisionerFields, void (*)(ProvisionerFields*)> declare_provisioner_config(
    cfg::Spec& spec) {
  return {new ProvisionerFields(spec), [](ProvisionerFields* f) { delete f; }};
}

Result<ServiceSettings> build_settings(const ProvisionerFields& f, const EnvGetter& env,
                                       const std::string& version) {
  ServiceSettings s;
  s.nats_url = f.nats_url.value();
  s.nats_configured = f.nats_url.from_env();
  auto& p = s.provisioner;
  p.node = f.node.value();
  if (p.node.empty()) {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) {
      return fail(Errc::kInvalidConfig, "AETHER_NODE_NAME is empty and the host has no name");
    }
    p.node = buf;
  }
  p.asset_dir = f.asset_dir.value();
  if (!p.asset_dir.is_absolute()) {
    return fail(Errc::kInvalidConfig,
                "AETHER_ASSET_DIR=" + f.asset_dir.value() + ": must be an absolute path");
  }
  p.guest_source_dir = f.guest_source.value();
  p.template_source_dir = f.template_source.value();
  for (const auto& item : f.extra_assets.value()) {
    auto source = parse_extra_source(item);
    if (!source) return std::unexpected(source.error());
    p.extra_assets.push_back(*source);
  }
  p.fetch.ca_file = f.asset_ca.value();
  const bool networking = f.network.value() == "on";
  p.host.networking = networking;
  p.host.runtime = f.runtime.value();
  p.host.min_memory_available = f.min_memory.value();
  p.host.min_disk_free = f.min_disk.value();
  p.host.min_max_map_count = f.min_map_count.value();
  p.hypervisor.runtime = f.runtime.value();
  p.hypervisor.qemu_binary = f.qemu.value();
  p.hypervisor.firecracker_binary = f.firecracker.value();
  p.hypervisor.allow_emulation = f.allow_emulation.value();
  p.hypervisor.boot_timeout = f.probe_timeout.value();
  p.hypervisor.use_cache = f.probe_cache.value();
  s.agent.interval = f.interval.value();
  s.agent.retry_max = f.retry_max.value();
  s.agent.version = version;

  const std::string mode = f.kube.value();
  s.kubeconfig = f.kubeconfig.value();
  if (s.kubeconfig.empty()) s.kubeconfig = env("KUBECONFIG").value_or("");
  s.kube_context = f.kube_context.value();
  if (mode == "in-cluster") {
    s.kube = KubeMode::kInCluster;
  } else if (mode == "kubeconfig") {
    if (s.kubeconfig.empty()) {
      return fail(Errc::kInvalidConfig,
                  "AETHER_KUBE=kubeconfig: set AETHER_KUBECONFIG or KUBECONFIG to a file");
    }
    s.kube = KubeMode::kKubeconfig;
  } else if (mode == "auto") {
    if (env("KUBERNETES_SERVICE_HOST").value_or("") != "") {
      s.kube = KubeMode::kInCluster;
    } else if (!s.kubeconfig.empty()) {
      s.kube = KubeMode::kKubeconfig;
    }
  }
  return s;
}

LabelerFactory make_labeler_factory(const ServiceSettings& s, const EnvGetter& env) {
  const std::string node = s.provisioner.node;
  switch (s.kube) {
    case KubeMode::kOff:
      return {};
    case KubeMode::kInCluster:
      return [env, node]() -> Result<NodeLabeler> {
        auto c = in_cluster_credentials(env);
        if (!c) return std::unexpected(c.error());
        return NodeLabeler(KubeClient(*c), node);
      };
    case KubeMode::kKubeconfig:
      return [path = s.kubeconfig, context = s.kube_context, node]() -> Result<NodeLabeler> {
        auto c = kubeconfig_credentials(path, context);
        if (!c) return std::unexpected(c.error());
        return NodeLabeler(KubeClient(*c), node);
      };
  }
  return {};
}

}  // namespace aether::provisioner
