// The vm-worker's settings: a plain struct (tests fill it directly) and the
// environment variables that fill it in the binary (declare_worker_config).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "aether/bus/jetstream.hpp"
#include "aether/config/config.hpp"
#include "aether/net/host_network.hpp"
#include "capacity.hpp"
#include "errors.hpp"

namespace aether::worker {

using std::chrono::milliseconds;

// A guest image a VmSpec names by `template`.
struct GuestTemplate {
  std::filesystem::path kernel;  // uncompressed vmlinux
  std::filesystem::path initrd;  // initramfs with the agent as /init
  // A template made from a container image (tools/guest/build-template.sh):
  // its shared read-only root file system (each VM gets a qcow2 overlay on
  // it) and what its manifest says of the image.
  std::optional<std::filesystem::path> rootfs;
  std::string image_id;      // sha256 of the image config
  std::string image_digest;  // sha256 of the image manifest
  std::string image_source;  // the reference it was built from
};

// Limits one VM may ask for (per-VM rules, checked before any boot).
struct VmLimits {
  std::uint32_t max_vcpus = 2;
  std::uint64_t min_memory_mib = 64;
  std::uint64_t max_memory_mib = 2048;
  std::uint32_t max_ttl_seconds = 0;  // 0: no limit
  milliseconds default_exec_timeout{60'000};
  milliseconds max_exec_timeout{600'000};
  std::uint64_t max_file_bytes = 16u << 20;
  // How long a stopped VM's guest gets to power off before its VMM is killed:
  // the default (StopVm.grace_seconds 0, drain, ttl, idle) and the most a
  // StopVm may ask for.
  milliseconds default_stop_grace{30'000};
  milliseconds max_stop_grace{300'000};
};

struct WarmPoolConfig {
  std::uint32_t size = 0;  // booted VMs kept ready for the template
  std::string template_name = "default";
  std::uint32_t vcpus = 1;
  std::uint64_t memory_mib = 256;
};

// What the node has (capacity defaults derive from it).
struct NodeFacts {
  std::uint32_t cores = 1;
  std::uint64_t memory_mib = 0;  // MemTotal
};
// This host: std::thread::hardware_concurrency() and /proc/meminfo MemTotal.
[[nodiscard]] NodeFacts node_facts();

// How the capacity came about (start-up line, --help).
struct CapacitySource {
  NodeFacts node;
  double cpu_overcommit = 4.0;
  std::uint64_t host_reserve_mib = 2048;
  bool vcpus_from_node = false;   // AETHER_CAPACITY_VCPUS unset or 0
  bool memory_from_node = false;  // AETHER_CAPACITY_MEMORY unset or 0
};
[[nodiscard]] std::string describe(const CapacitySource& s, const Resources& capacity);
struct WorkerConfig;
// The values --check-config shows beyond the settings as given: the capacity
// actually used (0 = from the node, derived) and each class as this worker
// pulls it (its size capped by the per-VM limits). One "VAR=value  # derived: why" line each.
[[nodiscard]] std::string describe_effective(const WorkerConfig& c);

struct WorkerConfig {
  std::string nats_url = "nats://127.0.0.1:4222";
  std::string worker_id;  // [A-Za-z0-9_-]{1,64}
  std::string node;
  std::filesystem::path state_dir;  // vms/<id>/ per VM; survives restarts
  std::map<std::string, GuestTemplate> templates;
  Resources capacity{2, 2048, 8};
  CapacitySource capacity_source;
  VmLimits limits;
  // Create size classes (AETHER_VM_CLASSES): one consumer per class.
  bus::VmClassTable classes = bus::default_vm_classes();
  // A larger class whose backlog waited this long while it does not fit
  // here holds back smaller classes (starvation guard, see RoomPlanner).
  milliseconds starvation_after{5'000};
  // Longest one hold for a starving class lasts; then this worker rests as
  // long (see StarvationGuard).
  milliseconds starvation_hold_max{10'000};
  // Longest a class's backlog waits for a roomier peer before this worker
  // pulls it anyway (fairness, see RoomPlanner).
  milliseconds fair_defer_max{1'000};
  // How often a worker that does not pull a class reads its backlog.
  milliseconds backlog_poll{250};
  WarmPoolConfig warm_pool;
  milliseconds boot_timeout{120'000};
  std::uint32_t max_concurrent_boots = 2;
  milliseconds in_progress_interval{10'000};  // < the vm-create consumer's ack wait
  milliseconds heartbeat_interval{5'000};
  milliseconds reap_interval{1'000};
  milliseconds stopped_retention{600'000};  // STOPPED/FAILED records kept this long
  milliseconds busy_retry_delay{2'000};     // nak delay when a create does not fit now
  // After a boot fails for a node reason: no boots for this long, doubling per
  // failed trial up to runtime_retry_max (see RuntimeHealth).
  milliseconds runtime_retry_after{30'000};
  milliseconds runtime_retry_max{300'000};
  bool drain_stop_vms = true;  // on SIGTERM: stop VMs (else wait for them)
  milliseconds drain_timeout{30'000};
  // The bus contract made at start-up (its vm_classes are the worker's);
  // nullopt: AETHER_PROVISION=false.
  std::optional<bus::ProvisionConfig> provision = bus::ProvisionConfig{};
  // AETHER_SNAPSHOTS: keep a snapshot of a booted, agent-ready VM per
  // template and size under state_dir/snapshots/ and restore creates from it
  // (VMs without spec.network only: the network is in the guest's memory).
  bool snapshots = false;
  bool network_enabled = false;  // AETHER_NETWORK=on: spec.network VMs get a TAP + NAT
  net::NetworkConfig network;    // bridge, subnet, nftables table, deny_private, TAP owner
  std::string version = "0.0.0";
};

// Declares every AETHER_* variable on `spec`; after spec.load(), the returned
// function builds the WorkerConfig (or explains what is wrong).
class WorkerConfigFields;
// `node`: what capacity defaults derive from (tests pass their own).
[[nodiscard]] std::shared_ptr<WorkerConfigFields> declare_worker_config(
    config::Spec& spec, NodeFacts node = node_facts());
[[nodiscard]] Result<WorkerConfig> build_worker_config(const WorkerConfigFields& fields,
                                                       std::string version);
// The capacity from the settings (0 = from the node) and the rules every
// value must meet (named in the error): overcommit at least 1, reserve below
// the host's memory, per-VM maxima within the capacity, a class for every
// valid VM size.
[[nodiscard]] Result<Resources> effective_capacity(const CapacitySource& source,
                                                   std::uint32_t vcpus_setting,
                                                   std::uint64_t memory_mib_setting,
                                                   std::uint32_t max_vms);
[[nodiscard]] Result<void> check_vm_limits(const Resources& capacity, const VmLimits& limits,
                                           const bus::VmClassTable& classes);

// "name=dir" items of AETHER_TEMPLATES (plus "default" = AETHER_GUEST_DIR):
// each dir holds vmlinux and initramfs.cpio.
[[nodiscard]] Result<std::map<std::string, GuestTemplate>> parse_templates(
    const std::filesystem::path& default_dir, const std::vector<std::string>& items);

// Worker ids become subject tokens and KV keys.
[[nodiscard]] bool valid_worker_id(std::string_view id);

}  // namespace aether::worker
