#include "worker_config.hpp"

#include "aether/service/provision_options.hpp"
#include "aether/service/vm_class_option.hpp"
#include "template_scan.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <thread>

namespace aether::worker {

namespace cfg = aether::config;
constexpr std::uint64_t kMiB = 1024 * 1024;

class WorkerConfigFields {
 public:
  WorkerConfigFields(cfg::Spec& s, NodeFacts node)
      : node_(node),
        nats_url(s.string("NATS_URL", "nats://127.0.0.1:4222", "NATS server URL(s)")
                     .url_list({"nats", "tls"})),
        worker_id(s.string("AETHER_WORKER_ID", host_name(),
                           "this worker's id (subject token, KV key); default: host name")
                      .check(id_rule)),
        node(s.string("AETHER_NODE_NAME", host_name(), "node name reported in events")),
        state_dir(s.string("AETHER_STATE_DIR", "/var/lib/aether/vm-worker",
                           "per-VM state (sockets, logs, records); kept across restarts")
                      .non_empty()),
        guest_dir(s.string("AETHER_GUEST_DIR", "/var/lib/aether/guest",
                           "template 'default': holds vmlinux and initramfs.cpio")
                      .non_empty()),
        templates(
            s.list("AETHER_TEMPLATES", {},
                   "more templates: name=dir items, and template roots (absolute dirs "
                   "scanned for build-template.sh templates, named by their dir)")
                .check([](const std::vector<std::string>& items) -> std::optional<std::string> {
                  auto t = parse_templates("/", items);
                  if (t) return std::nullopt;
                  return t.error().message.substr(t.error().message.find(": ") + 2);
                })),
        cpu_overcommit(s.string("AETHER_CPU_OVERCOMMIT", "4",
                                "vCPUs handed out per host core when AETHER_CAPACITY_VCPUS is "
                                "0 (vCPUs are time-shared; memory is never overcommitted)")
                           .check([](const std::string& v) { return overcommit_problem(v); })),
        host_reserve(
            s.size("AETHER_HOST_RESERVE_MEMORY", 2048 * kMiB,
                   "host memory kept for the host when AETHER_CAPACITY_MEMORY is 0 (this node: " +
                       std::to_string(node_.memory_mib) + " MiB)")
                .check([this](const std::uint64_t& v) -> std::optional<std::string> {
                  if (v / kMiB < node_.memory_mib) return std::nullopt;
                  return "must be below the host's memory (" + std::to_string(node_.memory_mib) +
                         " MiB)";
                })),
        cap_vcpus(s.integer("AETHER_CAPACITY_VCPUS", 0,
                            "vCPUs this worker may hand out; 0: cores x AETHER_CPU_OVERCOMMIT "
                            "(this node: " +
                                std::to_string(node_.cores) + " cores)")
                      .range(0, 65536)),
        cap_memory(s.size("AETHER_CAPACITY_MEMORY", 0,
                          "guest memory this worker may hand out; 0: the host's memory minus "
                          "AETHER_HOST_RESERVE_MEMORY")
                       .range(0, 1ull << 50)
                       .check([this](const std::uint64_t&) { return capacity_problem(); })),
        cap_vms(s.integer("AETHER_CAPACITY_MAX_VMS", 32, "VMs (warm pool included) at once")
                    .range(1, 4096)),
        max_vcpus(s.integer("AETHER_VM_MAX_VCPUS", 2, "most vCPUs one VM may ask for")
                      .range(1, 32)
                      .check([this](const std::int64_t& v) -> std::optional<std::string> {
                        auto cap = capacity();
                        if (!cap || static_cast<std::uint64_t>(v) <= cap->vcpus) {
                          return std::nullopt;
                        }
                        return "must not exceed the worker's vCPU capacity of " +
                               std::to_string(cap->vcpus) +
                               " (AETHER_CAPACITY_VCPUS, or cores x AETHER_CPU_OVERCOMMIT)";
                      })),
        max_memory(s.size("AETHER_VM_MAX_MEMORY", 2048 * kMiB, "most memory one VM may ask for")
                       .range(64 * kMiB, 64ull << 30)
                       .check([this](const std::uint64_t& v) -> std::optional<std::string> {
                         auto cap = capacity();
                         if (!cap || v / kMiB <= cap->memory_mib) return std::nullopt;
                         return "must not exceed the worker's memory capacity of " +
                                std::to_string(cap->memory_mib) +
                                " MiB (AETHER_CAPACITY_MEMORY, or the host's memory minus "
                                "AETHER_HOST_RESERVE_MEMORY)";
                       })),
        vm_classes(s),
        starvation_after(
            s.duration("AETHER_STARVATION_AFTER", std::chrono::seconds(5),
                       "a larger class whose creates waited this long holds back smaller ones")
                .range(std::chrono::milliseconds(100), std::chrono::minutes(30))),
        starvation_hold_max(
            s.duration("AETHER_STARVATION_HOLD_MAX", std::chrono::seconds(10),
                       "longest this worker keeps room idle for one starving class; then it "
                       "rests as long and the next closest worker holds")
                .range(std::chrono::milliseconds(100), std::chrono::minutes(30))),
        fair_defer_max(
            s.duration("AETHER_FAIR_DEFER_MAX", std::chrono::seconds(1),
                       "longest a create class waits for a roomier worker before this one "
                       "pulls it anyway (0: never defer)")
                .range(std::chrono::milliseconds(0), std::chrono::minutes(1))),
        max_ttl(s.duration("AETHER_VM_MAX_TTL", milliseconds{0},
                           "longest ttl a VM may ask for (0: any)")),
        exec_default(s.duration("AETHER_EXEC_DEFAULT_TIMEOUT", std::chrono::seconds(60),
                                "exec timeout when a request says 0")
                         .range(std::chrono::seconds(1), std::chrono::hours(24))),
        exec_max(s.duration("AETHER_EXEC_MAX_TIMEOUT", std::chrono::minutes(10),
                            "longest exec timeout a request may ask for")
                     .range(std::chrono::seconds(1), std::chrono::hours(24))),
        stop_grace(s.duration("AETHER_STOP_GRACE", std::chrono::seconds(30),
                              "time a stopped VM's guest gets to power off before it is killed "
                              "(stop with grace_seconds 0, drain, ttl, idle)")
                       .range(std::chrono::seconds(1), std::chrono::hours(1))),
        stop_grace_max(s.duration("AETHER_STOP_MAX_GRACE", std::chrono::minutes(5),
                                  "longest grace_seconds a stop request may ask for")
                           .range(std::chrono::seconds(1), std::chrono::hours(1))),
        file_max(
            s.size("AETHER_FILE_MAX_BYTES", 16 * kMiB, "largest file put/get").range(1, 64 * kMiB)),
        boot_timeout(s.duration("AETHER_BOOT_TIMEOUT", std::chrono::seconds(120),
                                "launch to agent hello, else FAILED")
                         .range(std::chrono::seconds(1), std::chrono::minutes(30))),
        max_boots(
            s.integer("AETHER_MAX_CONCURRENT_BOOTS", 2, "boots running at once").range(1, 64)),
        in_progress(s.duration("AETHER_IN_PROGRESS_INTERVAL", std::chrono::seconds(10),
                               "in-progress acks while booting; below the consumer's ack wait")
                        .range(std::chrono::milliseconds(100), std::chrono::minutes(10))),
        heartbeat(s.duration("AETHER_HEARTBEAT_INTERVAL", std::chrono::seconds(5),
                             "WorkerStatus into KV aether_workers; below the bucket TTL")
                      .range(std::chrono::milliseconds(100), std::chrono::minutes(5))),
        retention(s.duration("AETHER_STOPPED_RETENTION", std::chrono::minutes(10),
                             "how long a STOPPED VM stays addressable before it is deleted")),
        busy_retry(s.duration("AETHER_BUSY_RETRY_DELAY", std::chrono::seconds(2),
                              "redelivery delay of a create that does not fit right now")),
        runtime_retry(s.duration("AETHER_RUNTIME_RETRY_AFTER", std::chrono::seconds(30),
                                 "after a boot fails for a node reason (VMM missing, hypervisor "
                                 "dies): no boots for this long, creates go to other workers")
                          .range(std::chrono::milliseconds(100), std::chrono::hours(1))),
        runtime_retry_max(s.duration("AETHER_RUNTIME_RETRY_MAX", std::chrono::minutes(5),
                                     "the pause doubles per failed trial boot up to this")
                              .range(std::chrono::milliseconds(100), std::chrono::hours(24))),
        pool_size(s.integer("AETHER_WARM_POOL_SIZE", 0, "booted VMs kept ready").range(0, 256)),
        pool_template(
            s.string("AETHER_WARM_POOL_TEMPLATE", "default", "template of warm-pool VMs")),
        pool_vcpus(s.integer("AETHER_WARM_POOL_VCPUS", 1, "vCPUs of warm-pool VMs").range(1, 32)),
        pool_memory(s.size("AETHER_WARM_POOL_MEMORY", 256 * kMiB, "memory of warm-pool VMs")
                        .range(64 * kMiB, 64ull << 30)),
        drain_stop(
            s.boolean("AETHER_DRAIN_STOP_VMS", true,
                      "on SIGTERM/drain stop hosted VMs (false: wait for them until the timeout)")),
        drain_timeout(
            s.duration("AETHER_DRAIN_TIMEOUT", std::chrono::seconds(30), "drain deadline")),
        provision(s),
        snapshots(s.boolean("AETHER_SNAPSHOTS", false,
                            "restore VMs from a snapshot per template and size (made after the "
                            "first cold boot of each; not for spec.network VMs)")),
        network(s.choice("AETHER_NETWORK", "off", {"off", "on"},
                         "per-VM networking (TAP + bridge + NAT, nftables egress rules) for "
                         "spec.network VMs; needs root")),
        net_bridge(s.string("AETHER_NET_BRIDGE", "aether0", "bridge the VMs' TAPs join")
                       .check(net::bridge_name_problem)),
        net_subnet(s.string("AETHER_NET_SUBNET", "10.200.0.0/16",
                            "guest subnet; its first address is the bridge's (the gateway)")
                       .check(net::subnet_problem)),
        net_table(s.string("AETHER_NET_TABLE", "aether",
                           "nftables table (family inet) this worker owns and replaces at start")
                      .check(net::table_name_problem)),
        net_deny_private(s.boolean("AETHER_NET_DENY_PRIVATE", true,
                                   "refuse private/special destinations unless an egress_allow "
                                   "entry names them")) {
    vm_classes.field().check([this](const std::string& v) { return classes_problem(v); });
  }

  static std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "worker";
    std::string name(buf);
    for (char& c : name) {
      if (c == '.') c = '-';
    }
    return name;
  }
  static std::optional<std::string> overcommit_problem(const std::string& v) {
    if (parse_overcommit(v)) return std::nullopt;
    return "must be a number from 1 to 64 (vCPUs per host core; below 1 would leave cores idle)";
  }
  static std::optional<double> parse_overcommit(const std::string& v) {
    double d = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), d);
    if (r.ec != std::errc{} || r.ptr != v.data() + v.size() || !(d >= 1.0) || d > 64.0) {
      return std::nullopt;
    }
    return d;
  }
  [[nodiscard]] CapacitySource source() const {
    CapacitySource src;
    src.node = node_;
    src.cpu_overcommit = parse_overcommit(cpu_overcommit.value()).value_or(1.0);
    src.host_reserve_mib = host_reserve.value() / kMiB;
    src.vcpus_from_node = cap_vcpus.value() == 0;
    src.memory_from_node = cap_memory.value() == 0;
    return src;
  }
  [[nodiscard]] Result<Resources> capacity() const {
    return effective_capacity(source(), static_cast<std::uint32_t>(cap_vcpus.value()),
                              cap_memory.value() / kMiB,
                              static_cast<std::uint32_t>(cap_vms.value()));
  }
  [[nodiscard]] std::optional<std::string> capacity_problem() const {
    if (auto c = capacity(); !c) return c.error().message;
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::string> classes_problem(const std::string& v) const {
    auto table = bus::parse_vm_classes(v);
    if (!table) return std::nullopt;  // named by VmClassOption's own rule
    auto cap = capacity();
    if (!cap) return std::nullopt;  // reported on AETHER_CAPACITY_MEMORY
    VmLimits limits;
    limits.max_vcpus = static_cast<std::uint32_t>(max_vcpus.value());
    limits.max_memory_mib = max_memory.value() / kMiB;
    // Limits above the capacity are reported on their own variables.
    if (limits.max_vcpus > cap->vcpus || limits.max_memory_mib > cap->memory_mib) {
      return std::nullopt;
    }
    if (auto r = check_vm_limits(*cap, limits, *table); !r) return r.error().message;
    return std::nullopt;
  }
  static std::optional<std::string> id_rule(const std::string& v) {
    if (valid_worker_id(v)) return std::nullopt;
    return "must be 1-64 characters of [A-Za-z0-9_-]";
  }

  const NodeFacts node_;
  cfg::StringField& nats_url;
  cfg::StringField& worker_id;
  cfg::StringField& node;
  cfg::StringField& state_dir;
  cfg::StringField& guest_dir;
  cfg::ListField& templates;
  cfg::StringField& cpu_overcommit;
  cfg::SizeField& host_reserve;
  cfg::IntField& cap_vcpus;
  cfg::SizeField& cap_memory;
  cfg::IntField& cap_vms;
  cfg::IntField& max_vcpus;
  cfg::SizeField& max_memory;
  service::VmClassOption vm_classes;
  cfg::DurationField& starvation_after;
  cfg::DurationField& starvation_hold_max;
  cfg::DurationField& fair_defer_max;
  cfg::DurationField& max_ttl;
  cfg::DurationField& exec_default;
  cfg::DurationField& exec_max;
  cfg::DurationField& stop_grace;
  cfg::DurationField& stop_grace_max;
  cfg::SizeField& file_max;
  cfg::DurationField& boot_timeout;
  cfg::IntField& max_boots;
  cfg::DurationField& in_progress;
  cfg::DurationField& heartbeat;
  cfg::DurationField& retention;
  cfg::DurationField& busy_retry;
  cfg::DurationField& runtime_retry;
  cfg::DurationField& runtime_retry_max;
  cfg::IntField& pool_size;
  cfg::StringField& pool_template;
  cfg::IntField& pool_vcpus;
  cfg::SizeField& pool_memory;
  cfg::BoolField& drain_stop;
  cfg::DurationField& drain_timeout;
  service::ProvisionOptions provision;
  cfg::BoolField& snapshots;
  cfg::ChoiceField& network;
  cfg::StringField& net_bridge;
  cfg::StringField& net_subnet;
  cfg::StringField& net_table;
  cfg::BoolField& net_deny_private;
};

bool valid_worker_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::shared_ptr<WorkerConfigFields> declare_worker_config(cfg::Spec& spec, NodeFacts node) {
  return std::make_shared<WorkerConfigFields>(spec, node);
}

NodeFacts node_facts() {
  NodeFacts n;
  n.cores = std::max(1u, std::thread::hardware_concurrency());
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  while (meminfo >> key >> kib) {
    if (key == "MemTotal:") {
      n.memory_mib = kib / 1024;
      break;
    }
    meminfo.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return n;
}

std::string describe(const CapacitySource& s, const Resources& capacity) {
  std::string out = describe(capacity) + " (vCPUs: ";
  out += s.vcpus_from_node ? fmt::format("{} cores x overcommit {}", s.node.cores, s.cpu_overcommit)
                           : std::string("AETHER_CAPACITY_VCPUS");
  out += "; memory: ";
  out += s.memory_from_node
             ? fmt::format("host {} MiB - reserve {} MiB", s.node.memory_mib, s.host_reserve_mib)
             : std::string("AETHER_CAPACITY_MEMORY");
  return out + ")";
}

std::string describe_effective(const WorkerConfig& c) {
  const auto& s = c.capacity_source;
  std::string out =
      "# effective capacity (what this worker hands out, the start-up line and "
      "WorkerStatus.capacity):\n";
  out += fmt::format("AETHER_CAPACITY_VCPUS={}  # {}\n", c.capacity.vcpus,
                     s.vcpus_from_node ? fmt::format("derived: {} cores x AETHER_CPU_OVERCOMMIT {}",
                                                     s.node.cores, s.cpu_overcommit)
                                       : std::string("as set"));
  out += fmt::format("AETHER_CAPACITY_MEMORY={}MiB  # {}\n", c.capacity.memory_mib,
                     s.memory_from_node
                         ? fmt::format("derived: host {} MiB - AETHER_HOST_RESERVE_MEMORY {} MiB",
                                       s.node.memory_mib, s.host_reserve_mib)
                         : std::string("as set"));
  out += fmt::format("AETHER_CAPACITY_MAX_VMS={}  # as set\n", c.capacity.vms);
  out += "# create classes as this worker pulls them (class size capped by AETHER_VM_MAX_*):";
  for (const auto& k : c.classes) {
    out += fmt::format(" {}={}x{}MiB", k.name, std::min(k.vcpus, c.limits.max_vcpus),
                       std::min(k.memory_mib, c.limits.max_memory_mib));
  }
  return out + "\n";
}

Result<Resources> effective_capacity(const CapacitySource& s, std::uint32_t vcpus_setting,
                                     std::uint64_t memory_mib_setting, std::uint32_t max_vms) {
  if (s.cpu_overcommit < 1.0) {
    return fail(Errc::kInvalidConfig, "AETHER_CPU_OVERCOMMIT: must be at least 1");
  }
  Resources r;
  r.vms = max_vms;
  r.vcpus = vcpus_setting != 0
                ? vcpus_setting
                : static_cast<std::uint32_t>(std::max(1.0, s.node.cores * s.cpu_overcommit));
  if (memory_mib_setting != 0) {
    r.memory_mib = memory_mib_setting;
  } else {
    if (s.host_reserve_mib >= s.node.memory_mib) {
      return fail(Errc::kInvalidConfig, "AETHER_HOST_RESERVE_MEMORY (" +
                                            std::to_string(s.host_reserve_mib) +
                                            " MiB) must be below the host's memory (" +
                                            std::to_string(s.node.memory_mib) + " MiB)");
    }
    r.memory_mib = s.node.memory_mib - s.host_reserve_mib;
  }
  if (r.memory_mib < 64) {
    return fail(Errc::kInvalidConfig,
                "memory capacity of " + std::to_string(r.memory_mib) +
                    " MiB is below the 64 MiB a VM needs at least (AETHER_CAPACITY_MEMORY, or the "
                    "host's memory minus AETHER_HOST_RESERVE_MEMORY)");
  }
  return r;
}

Result<void> check_vm_limits(const Resources& capacity, const VmLimits& limits,
                             const bus::VmClassTable& classes) {
  if (limits.max_vcpus > capacity.vcpus) {
    return fail(Errc::kInvalidConfig, "AETHER_VM_MAX_VCPUS (" + std::to_string(limits.max_vcpus) +
                                          ") must not exceed the vCPU capacity (" +
                                          std::to_string(capacity.vcpus) + ")");
  }
  if (limits.max_memory_mib > capacity.memory_mib) {
    return fail(Errc::kInvalidConfig, "AETHER_VM_MAX_MEMORY (" +
                                          std::to_string(limits.max_memory_mib) +
                                          " MiB) must not exceed the memory capacity (" +
                                          std::to_string(capacity.memory_mib) + " MiB)");
  }
  if (classes.empty()) return fail(Errc::kInvalidConfig, "AETHER_VM_CLASSES: no class given");
  const auto& last = classes.back();
  if (last.vcpus < limits.max_vcpus || last.memory_mib < limits.max_memory_mib) {
    return fail(Errc::kInvalidConfig,
                fmt::format("AETHER_VM_CLASSES: no class holds a VM of {} vCPU / {} MiB, which "
                            "AETHER_VM_MAX_VCPUS / AETHER_VM_MAX_MEMORY allow: the largest class "
                            "'{}' is {} vCPU / {} MiB; every valid VM size needs a class",
                            limits.max_vcpus, limits.max_memory_mib, last.name, last.vcpus,
                            last.memory_mib));
  }
  return {};
}

Result<std::map<std::string, GuestTemplate>> parse_templates(
    const std::filesystem::path& default_dir, const std::vector<std::string>& items) {
  std::map<std::string, GuestTemplate> out;
  auto from_dir = [](const std::filesystem::path& dir) {
    return GuestTemplate{dir / "vmlinux", dir / "initramfs.cpio"};
  };
  out["default"] = from_dir(default_dir);
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos && item.starts_with('/')) {
      // A template root: every build-template.sh template under it, by name.
      auto found = scan_template_root(item);
      if (!found) return std::unexpected(found.error());
      for (auto& [name, t] : *found) {
        if (name == "default" || out.contains(name)) {
          return fail(Errc::kInvalidConfig,
                      "AETHER_TEMPLATES: template '" + name + "' given twice (root " + item + ")");
        }
        out[name] = std::move(t);
      }
      continue;
    }
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return fail(Errc::kInvalidConfig,
                  "AETHER_TEMPLATES item '" + item + "': must be name=dir or an absolute root");
    }
    const auto name = item.substr(0, eq);
    if (!valid_worker_id(name)) {
      return fail(Errc::kInvalidConfig, "AETHER_TEMPLATES item '" + item +
                                            "': name must be 1-64 characters of [A-Za-z0-9_-]");
    }
    if (out.contains(name) && name != "default") {
      return fail(Errc::kInvalidConfig, "AETHER_TEMPLATES: template '" + name + "' given twice");
    }
    const std::filesystem::path dir = item.substr(eq + 1);
    std::error_code ec;
    if (std::filesystem::exists(dir / "manifest.json", ec) &&
        std::filesystem::exists(dir / "rootfs.ext4", ec)) {
      auto t = read_template_dir(dir);  // a build-template.sh template named explicitly
      if (!t) return std::unexpected(t.error());
      out[name] = std::move(*t);
    } else {
      out[name] = from_dir(dir);
    }
  }
  return out;
}

namespace {

// A default that must sit under its maximum (exec timeout, stop grace, retry).
Result<void> not_above(const cfg::DurationField& value, const cfg::DurationField& limit) {
  if (value.value() > limit.value()) {
    return fail(Errc::kInvalidConfig, value.name() + ": must not exceed " + limit.name());
  }
  return {};
}

}  // namespace

Result<WorkerConfig> build_worker_config(const WorkerConfigFields& f, std::string version) {
  WorkerConfig c;
  c.nats_url = f.nats_url.value();
  c.worker_id = f.worker_id.value();
  c.node = f.node.value();
  c.state_dir = f.state_dir.value();
  auto templates = parse_templates(f.guest_dir.value(), f.templates.value());
  if (!templates) return std::unexpected(templates.error());
  c.templates = std::move(*templates);
  auto capacity = f.capacity();
  if (!capacity) return std::unexpected(capacity.error());
  c.capacity = *capacity;
  c.capacity_source = f.source();
  c.limits.max_vcpus = static_cast<std::uint32_t>(f.max_vcpus.value());
  c.limits.max_memory_mib = f.max_memory.value() / kMiB;
  c.classes = f.vm_classes.table();
  if (auto r = check_vm_limits(c.capacity, c.limits, c.classes); !r) {
    return std::unexpected(r.error());
  }
  c.starvation_after = f.starvation_after.value();
  c.starvation_hold_max = f.starvation_hold_max.value();
  c.fair_defer_max = f.fair_defer_max.value();
  c.limits.max_ttl_seconds = static_cast<std::uint32_t>(f.max_ttl.value().count() / 1000);
  c.limits.default_exec_timeout = f.exec_default.value();
  c.limits.max_exec_timeout = f.exec_max.value();
  c.limits.max_file_bytes = f.file_max.value();
  c.limits.default_stop_grace = f.stop_grace.value();
  c.limits.max_stop_grace = f.stop_grace_max.value();
  if (auto r = not_above(f.stop_grace, f.stop_grace_max); !r) return std::unexpected(r.error());
  if (auto r = not_above(f.exec_default, f.exec_max); !r) return std::unexpected(r.error());
  c.boot_timeout = f.boot_timeout.value();
  c.max_concurrent_boots = static_cast<std::uint32_t>(f.max_boots.value());
  c.in_progress_interval = f.in_progress.value();
  c.heartbeat_interval = f.heartbeat.value();
  c.stopped_retention = f.retention.value();
  c.busy_retry_delay = f.busy_retry.value();
  c.runtime_retry_after = f.runtime_retry.value();
  c.runtime_retry_max = f.runtime_retry_max.value();
  if (auto r = not_above(f.runtime_retry, f.runtime_retry_max); !r)
    return std::unexpected(r.error());
  c.warm_pool = {static_cast<std::uint32_t>(f.pool_size.value()), f.pool_template.value(),
                 static_cast<std::uint32_t>(f.pool_vcpus.value()), f.pool_memory.value() / kMiB};
  if (c.warm_pool.size > 0 && !c.templates.contains(c.warm_pool.template_name)) {
    return fail(Errc::kInvalidConfig, "AETHER_WARM_POOL_TEMPLATE='" + c.warm_pool.template_name +
                                          "': no such template (see AETHER_TEMPLATES)");
  }
  c.drain_stop_vms = f.drain_stop.value();
  c.drain_timeout = f.drain_timeout.value();
  c.provision = f.provision.config();
  c.snapshots = f.snapshots.value();
  c.network_enabled = f.network.value() == "on";
  c.network.bridge = f.net_bridge.value();
  c.network.subnet = f.net_subnet.value();
  c.network.table = f.net_table.value();
  c.network.deny_private = f.net_deny_private.value();
  c.version = std::move(version);
  return c;
}

}  // namespace aether::worker
