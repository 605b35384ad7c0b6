#include "autoscaler_config.hpp"

#include <unistd.h>

#include <fstream>

#include "aether/bus/jetstream.hpp"
#include "aether/process/process.hpp"
#include "aether/service/provision_options.hpp"
#include "aether/service/vm_class_option.hpp"

namespace aether::autoscaler {

namespace cfg = aether::config;
using std::chrono::milliseconds;
constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr const char* kServiceAccount = "/var/run/secrets/kubernetes.io/serviceaccount";

namespace {
std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "autoscaler";
  return buf;
}
// vm-create (the plain subject) and vm-create-<class> for each class.
std::vector<std::string> create_consumers(const bus::VmClassTable& classes) {
  std::vector<std::string> out = {std::string(bus::kVmCreateConsumer)};
  for (const auto& c : classes) out.push_back(bus::vm_create_class_consumer(c.name));
  return out;
}
std::string in_cluster_namespace() {
  std::ifstream in(std::string(kServiceAccount) + "/namespace");
  std::string ns;
  if (in) std::getline(in, ns);
  return ns.empty() ? "aether" : ns;
}
}  // namespace

class ConfigFields {
 public:
  explicit ConfigFields(cfg::Spec& s)
      : nats_url(s.string("NATS_URL", "nats://127.0.0.1:4222", "NATS server URL(s)")
                     .url_list({"nats", "tls"})),
        id(s.string("AETHER_AUTOSCALER_ID", host_name(),
                    "this replica's name in the lease and in ScaleDecision.leader")
               .non_empty()),
        actuator(s.choice("AETHER_AUTOSCALER_ACTUATOR", "dry-run",
                          {"kubernetes", "exec", "local", "dry-run"},
                          "what adds and removes workers")),
        min_workers(
            s.integer("AETHER_AUTOSCALER_MIN_WORKERS", 0, "fewest workers").range(0, 10000)),
        max_workers(s.integer("AETHER_AUTOSCALER_MAX_WORKERS", 10, "most workers")
                        .range(0, 10000)
                        .check([this](std::int64_t v) -> std::optional<std::string> {
                          if (v < min_workers.value()) {
                            return "must be at least AETHER_AUTOSCALER_MIN_WORKERS (" +
                                   std::to_string(min_workers.value()) + ")";
                          }
                          return std::nullopt;
                        })),
        headroom(s.integer("AETHER_AUTOSCALER_HEADROOM_PERCENT", 10,
                           "capacity kept free on top of demand, in percent of demand")
                     .range(0, 1000)),
        step(s.integer("AETHER_AUTOSCALER_MAX_STEP_UP", 4, "workers one scale-up adds at most")
                 .range(1, 1000)),
        scale_down(s.boolean("AETHER_AUTOSCALER_SCALE_DOWN", true,
                             "remove idle workers when demand stays low")),
        window(s.duration("AETHER_AUTOSCALER_STABILISATION_WINDOW", std::chrono::minutes(5),
                          "scale down only to the highest target of this window")
                   .range(milliseconds(0), std::chrono::hours(24))
                   .check([this](milliseconds v) -> std::optional<std::string> {
                     if (v.count() == 0 && scale_down.value()) {
                       return "must be above 0 while AETHER_AUTOSCALER_SCALE_DOWN is on "
                              "(it would flap)";
                     }
                     return std::nullopt;
                   })),
        worker_vcpus(s.integer("AETHER_AUTOSCALER_WORKER_VCPUS", 2,
                               "vCPUs one new worker brings (used until workers report)")
                         .range(1, 4096)),
        worker_memory(s.size("AETHER_AUTOSCALER_WORKER_MEMORY", 2048 * kMiB,
                             "guest memory one new worker brings (until workers report)")
                          .range(64 * kMiB, 1ull << 50)),
        worker_vms(s.integer("AETHER_AUTOSCALER_WORKER_MAX_VMS", 8,
                             "VMs one new worker runs (until workers report)")
                       .range(1, 4096)),
        vm_vcpus(s.integer("AETHER_AUTOSCALER_DEFAULT_VM_VCPUS", 1,
                           "size of a queued create before any create is seen")
                     .range(1, 256)),
        vm_memory(s.size("AETHER_AUTOSCALER_DEFAULT_VM_MEMORY", 256 * kMiB,
                         "memory of a queued create before any create is seen")
                      .range(1 * kMiB, 1ull << 44)),
        eval_interval(s.duration("AETHER_AUTOSCALER_EVAL_INTERVAL", std::chrono::seconds(1),
                                 "recompute this often besides on every change")
                          .range(milliseconds(50), std::chrono::minutes(10))),
        lease_ttl(s.duration("AETHER_AUTOSCALER_LEASE_TTL", std::chrono::seconds(10),
                             "leader lease period: a follower takes over after this")
                      .range(milliseconds(300), std::chrono::minutes(10))),
        lease_key(s.string("AETHER_AUTOSCALER_LEASE_KEY", "autoscaler",
                           "key of the lease in KV aether_leases")
                      .non_empty()),
        consumers(s.list("AETHER_AUTOSCALER_CONSUMERS", {},
                         "create consumers (stream AETHER_CMDS) whose backlog is demand; "
                         "empty: vm-create and vm-create-<class> for each AETHER_VM_CLASSES "
                         "class")),
        subjects(s.list("AETHER_AUTOSCALER_CREATE_SUBJECTS",
                        {"aether.cmd.vm.create", "aether.cmd.vm.create.>"},
                        "create subjects watched to react the moment a create is published")
                     .non_empty()),
        drain_timeout(s.duration("AETHER_AUTOSCALER_DRAIN_TIMEOUT", std::chrono::minutes(10),
                                 "deadline given to a worker drained for removal")
                          .range(std::chrono::seconds(1), std::chrono::hours(24))),
        retry_initial(s.duration("AETHER_AUTOSCALER_RETRY_INITIAL", std::chrono::seconds(1),
                                 "first wait after an actuator error (doubles)")
                          .range(milliseconds(10), std::chrono::hours(1))),
        retry_max(s.duration("AETHER_AUTOSCALER_RETRY_MAX", std::chrono::minutes(1),
                             "longest wait between actuator retries")
                      .range(milliseconds(10), std::chrono::hours(1))),
        provision(s),
        vm_classes(s),
        exec_command(s.string("AETHER_AUTOSCALER_EXEC_COMMAND", "",
                              "exec actuator: shell command run with the count as $1")
                         .check([this](const std::string& v) -> std::optional<std::string> {
                           if (v.empty() && actuator.value() == "exec") {
                             return "must be set when AETHER_AUTOSCALER_ACTUATOR=exec";
                           }
                           return std::nullopt;
                         })),
        exec_query(s.string("AETHER_AUTOSCALER_EXEC_QUERY", "",
                            "exec actuator: command printing the current count (optional)")),
        exec_timeout(s.duration("AETHER_AUTOSCALER_EXEC_TIMEOUT", std::chrono::minutes(1),
                                "exec actuator: a command running longer is killed")
                         .range(std::chrono::seconds(1), std::chrono::hours(1))),
        local_binary(s.string("AETHER_AUTOSCALER_LOCAL_BINARY", "aether-vm-worker",
                              "local actuator: the worker binary (path or name in PATH)")
                         .non_empty()),
        local_state(s.string("AETHER_AUTOSCALER_LOCAL_STATE_DIR", "/tmp/aether-autoscaler-local",
                             "local actuator: each worker's AETHER_STATE_DIR and log below it")
                        .non_empty()),
        local_prefix(s.string("AETHER_AUTOSCALER_LOCAL_ID_PREFIX", "local-worker",
                              "local actuator: worker ids are PREFIX-N")
                         .non_empty()),
        local_env(
            s.list("AETHER_AUTOSCALER_LOCAL_ENV", {},
                   "local actuator: KEY=VALUE items for every worker")
                .check([](const std::vector<std::string>& items) -> std::optional<std::string> {
                  for (const auto& i : items) {
                    if (i.find('=') == std::string::npos || i.front() == '=') {
                      return "item '" + i + "' must be KEY=VALUE";
                    }
                  }
                  return std::nullopt;
                })),
        k8s_api(s.string("AETHER_AUTOSCALER_K8S_API", "",
                         "kubernetes actuator: API server URL (empty: in-cluster "
                         "KUBERNETES_SERVICE_HOST/PORT)")),
        k8s_token(s.string("AETHER_AUTOSCALER_K8S_TOKEN_FILE",
                           std::string(kServiceAccount) + "/token",
                           "kubernetes actuator: bearer token file (re-read per request)")),
        k8s_ca(s.string("AETHER_AUTOSCALER_K8S_CA_FILE", std::string(kServiceAccount) + "/ca.crt",
                        "kubernetes actuator: CA bundle the API server is verified against")),
        k8s_namespace(s.string("AETHER_AUTOSCALER_K8S_NAMESPACE", "",
                               "kubernetes actuator: namespace (empty: the pod's own)")),
        k8s_workload(s.string("AETHER_AUTOSCALER_K8S_WORKLOAD",
                              "deployments/aether-worker-capacity",
                              "kubernetes actuator: RESOURCE/NAME whose /scale is set")
                         .check([](const std::string& v) -> std::optional<std::string> {
                           auto p = parse_workload(v);
                           if (p) return std::nullopt;
                           return p.error().message;
                         })),
        k8s_selector(s.string("AETHER_AUTOSCALER_K8S_POD_SELECTOR",
                              "app.kubernetes.io/name=aether-worker-capacity",
                              "kubernetes actuator: label selector of the workload's pods")) {}

  cfg::StringField& nats_url;
  cfg::StringField& id;
  cfg::ChoiceField& actuator;
  cfg::IntField& min_workers;
  cfg::IntField& max_workers;
  cfg::IntField& headroom;
  cfg::IntField& step;
  cfg::BoolField& scale_down;
  cfg::DurationField& window;
  cfg::IntField& worker_vcpus;
  cfg::SizeField& worker_memory;
  cfg::IntField& worker_vms;
  cfg::IntField& vm_vcpus;
  cfg::SizeField& vm_memory;
  cfg::DurationField& eval_interval;
  cfg::DurationField& lease_ttl;
  cfg::StringField& lease_key;
  cfg::ListField& consumers;
  cfg::ListField& subjects;
  cfg::DurationField& drain_timeout;
  cfg::DurationField& retry_initial;
  cfg::DurationField& retry_max;
  service::ProvisionOptions provision;
  service::VmClassOption vm_classes;
  cfg::StringField& exec_command;
  cfg::StringField& exec_query;
  cfg::DurationField& exec_timeout;
  cfg::StringField& local_binary;
  cfg::StringField& local_state;
  cfg::StringField& local_prefix;
  cfg::ListField& local_env;
  cfg::StringField& k8s_api;
  cfg::StringField& k8s_token;
  cfg::StringField& k8s_ca;
  cfg::StringField& k8s_namespace;
  cfg::StringField& k8s_workload;
  cfg::StringField& k8s_selector;
};

std::shared_ptr<ConfigFields> declare_config(cfg::Spec& spec) {
  return std::make_shared<ConfigFields>(spec);
}

Result<Settings> build_settings(const ConfigFields& f, const cfg::EnvLookup& env) {
  Settings s;
  s.nats_url = f.nats_url.value();
  s.actuator = f.actuator.value();
  auto& a = s.autoscaler;
  a.id = f.id.value();
  a.policy.min_workers = static_cast<int>(f.min_workers.value());
  a.policy.max_workers = static_cast<int>(f.max_workers.value());
  a.policy.headroom = static_cast<double>(f.headroom.value()) / 100.0;
  a.policy.max_step_up = static_cast<int>(f.step.value());
  a.policy.scale_down = f.scale_down.value();
  a.policy.stabilisation = f.window.value();
  a.policy.worker_capacity = {static_cast<double>(f.worker_vcpus.value()),
                              static_cast<double>(f.worker_memory.value() / kMiB),
                              static_cast<double>(f.worker_vms.value())};
  a.default_vm = {static_cast<double>(f.vm_vcpus.value()),
                  static_cast<double>(f.vm_memory.value() / kMiB), 1};
  a.eval_interval = f.eval_interval.value();
  a.lease.ttl = f.lease_ttl.value();
  a.lease.key = f.lease_key.value();
  const bus::VmClassTable classes = f.vm_classes.table();
  a.consumers = f.consumers.value().empty() ? create_consumers(classes) : f.consumers.value();
  a.create_subjects = f.subjects.value();
  a.drain_timeout = f.drain_timeout.value();
  a.retry_initial = f.retry_initial.value();
  a.retry_max = f.retry_max.value();
  bus::ProvisionConfig base;
  base.vm_classes = classes;  // the workers' table: their class consumers
  a.provision = f.provision.config(base);
  // Rechecked here too: a test or tool may build settings without load()'s rules.
  if (a.policy.min_workers > a.policy.max_workers) {
    return fail(Errc::kInvalidConfig,
                "AETHER_AUTOSCALER_MAX_WORKERS must be at least AETHER_AUTOSCALER_MIN_WORKERS");
  }
  if (a.policy.scale_down && a.policy.stabilisation.count() == 0) {
    return fail(Errc::kInvalidConfig,
                "AETHER_AUTOSCALER_STABILISATION_WINDOW must be above 0 while "
                "AETHER_AUTOSCALER_SCALE_DOWN is on");
  }
  if (a.retry_initial > a.retry_max) {
    return fail(Errc::kInvalidConfig,
                "AETHER_AUTOSCALER_RETRY_INITIAL must not exceed AETHER_AUTOSCALER_RETRY_MAX");
  }
  s.exec = {.command = f.exec_command.value(),
            .query_command = f.exec_query.value(),
            .timeout = f.exec_timeout.value()};
  s.local = {.binary = f.local_binary.value(),
             .state_dir = f.local_state.value(),
             .nats_url = s.nats_url,
             .id_prefix = f.local_prefix.value(),
             .env = f.local_env.value()};
  auto& k = s.kubernetes;
  k.api_url = f.k8s_api.value();
  if (k.api_url.empty()) {
    auto host = env("KUBERNETES_SERVICE_HOST");
    auto port = env("KUBERNETES_SERVICE_PORT");
    if (host && !host->empty()) {
      const bool v6 = host->find(':') != std::string::npos;
      k.api_url = "https://" + (v6 ? "[" + *host + "]" : *host) + ":" +
                  (port && !port->empty() ? *port : "443");
    } else if (s.actuator == "kubernetes") {
      return fail(Errc::kInvalidConfig,
                  "AETHER_AUTOSCALER_K8S_API must be set when AETHER_AUTOSCALER_ACTUATOR="
                  "kubernetes runs outside a cluster (no KUBERNETES_SERVICE_HOST)");
    }
  }
  k.token_file = f.k8s_token.value();
  k.ca_file = f.k8s_ca.value();
  k.namespace_name =
      f.k8s_namespace.value().empty() ? in_cluster_namespace() : f.k8s_namespace.value();
  auto workload = parse_workload(f.k8s_workload.value());
  if (!workload) {
    return fail(Errc::kInvalidConfig,
                "AETHER_AUTOSCALER_K8S_WORKLOAD: " + workload.error().message);
  }
  k.resource = workload->first;
  k.name = workload->second;
  k.pod_selector = f.k8s_selector.value();
  return s;
}

Result<std::unique_ptr<Actuator>> make_actuator(const Settings& s, ObservedWorkers observed) {
  if (s.actuator == "kubernetes") return std::make_unique<KubernetesActuator>(s.kubernetes);
  if (s.actuator == "exec") return std::make_unique<ExecActuator>(s.exec, std::move(observed));
  if (s.actuator == "local") {
    auto binary = process::find_program({s.local.binary.string()});
    if (!binary) {
      return fail(Errc::kInvalidConfig,
                  "AETHER_AUTOSCALER_LOCAL_BINARY: " + binary.error().message);
    }
    LocalConfig local = s.local;
    local.binary = *binary;
    return std::make_unique<LocalActuator>(std::move(local));
  }
  if (s.actuator == "dry-run") return std::make_unique<DryRunActuator>(std::move(observed));
  return fail(Errc::kInvalidConfig, "AETHER_AUTOSCALER_ACTUATOR: unknown '" + s.actuator + "'");
}

}  // namespace aether::autoscaler
