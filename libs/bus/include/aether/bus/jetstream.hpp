// Idempotent JetStream provisioning: streams, durable pull consumers and KV
// buckets are created when missing, updated when their configuration differs,
// and left alone otherwise (so every service may run provision() at start-up).
// Threads: plain blocking calls, any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aether/bus/connection.hpp"
#include "aether/bus/errors.hpp"

namespace aether::bus {

enum class Retention { kLimits, kWorkQueue };

struct StreamConfig {
  std::string name;
  std::vector<std::string> subjects;
  Retention retention = Retention::kLimits;
  bool file_storage = true;
  int replicas = 1;
  std::chrono::nanoseconds max_age{0};           // 0: unlimited
  std::chrono::nanoseconds duplicate_window{0};  // 0: server default (2 min)
};

struct ConsumerConfig {
  std::string stream;
  std::string durable;
  std::string filter_subject;
  std::chrono::nanoseconds ack_wait{std::chrono::seconds(30)};
  int max_deliver = -1;  // -1: unlimited
  // Redelivery delays after each failed delivery; needs max_deliver greater
  // than its length. Empty: ack_wait each time.
  std::vector<std::chrono::nanoseconds> backoff;
  int max_ack_pending = 1000;
  int replicas = 0;  // 0: inherit the stream's
};

struct KvConfig {
  std::string bucket;
  std::chrono::nanoseconds ttl{0};  // 0: keys never expire
  int history = 1;
  int replicas = 1;
  bool file_storage = true;
};

enum class Provisioned { kCreated, kUpdated, kUnchanged };
[[nodiscard]] std::string_view to_string(Provisioned p);

// What ensure_stream does with a stream that exists with other settings:
// kUpdate brings it to `config` (the owner of the settings, e.g. provision());
// kLeave keeps it as it is, for a service that only needs the stream to exist
// and must not overwrite an operator's choices (replicas, retention).
enum class IfExists { kUpdate, kLeave };

[[nodiscard]] Result<Provisioned> ensure_stream(Connection& connection, const StreamConfig& config,
                                                IfExists if_exists = IfExists::kUpdate);
[[nodiscard]] Result<Provisioned> ensure_consumer(Connection& connection,
                                                  const ConsumerConfig& config);
[[nodiscard]] Result<Provisioned> ensure_kv(Connection& connection, const KvConfig& config);

// Size classes of VM creates. A create goes to the subject of its class,
// aether.cmd.vm.create.<class>, served by the shared durable consumer
// vm-create-<class>; a worker pulls a class only while a VM of the class's
// largest size (capped by its per-VM limits) fits in its free room. A VM
// belongs to the first class (smallest first) whose vCPUs and memory both
// hold it; a VM larger than every class goes to the last one (where workers
// refuse it as over their per-VM limit). The plain subject
// aether.cmd.vm.create (no class) is still served by consumer vm-create: a
// worker with room for the smallest class fetches it and boots it when it
// fits, else forwards it to its class subject.
struct VmClass {
  std::string name;  // subject token: [a-z0-9_-]{1,32}
  std::uint32_t vcpus = 0;
  std::uint64_t memory_mib = 0;
  friend bool operator==(const VmClass&, const VmClass&) = default;
};
using VmClassTable = std::vector<VmClass>;

// small = 1 vCPU / 512 MiB, medium = 2 vCPU / 2 GiB, large = 8 vCPU / 16 GiB.
[[nodiscard]] const VmClassTable& default_vm_classes();
// "name=VCPUSxMEMORY,..." with memory in MiB or with a MiB/GiB suffix, e.g.
// "small=1x512,medium=2x2GiB". Classes must be listed smallest first, each at
// least as large as the one before in vCPUs and in memory; names unique.
[[nodiscard]] Result<VmClassTable> parse_vm_classes(std::string_view text);
// The text parse_vm_classes reads ("small=1x512MiB,...").
[[nodiscard]] std::string format_vm_classes(const VmClassTable& table);
// Index of the class a VM of this size belongs to (see above). `table` must
// not be empty.
[[nodiscard]] std::size_t vm_class_index(const VmClassTable& table, std::uint32_t vcpus,
                                         std::uint64_t memory_mib);
// Where a create for this spec goes: "aether.cmd.vm.create.<class>". The one
// function publishers (api, aetherctl) call; pass the table the workers use
// (their AETHER_VM_CLASSES) when it is not the default.
[[nodiscard]] std::string vm_create_subject(std::uint32_t vcpus, std::uint64_t memory_mib,
                                            const VmClassTable& table = default_vm_classes());
// "aether.cmd.vm.create.<class>" and the durable serving it, "vm-create-<class>".
[[nodiscard]] std::string vm_create_class_subject(std::string_view class_name);
[[nodiscard]] std::string vm_create_class_consumer(std::string_view class_name);

// What a durable consumer has not delivered yet (the autoscaler's backlog,
// and a worker's starvation and fairness checks).
struct ConsumerBacklog {
  std::uint64_t pending = 0;      // in the stream, not yet delivered
  std::uint64_t ack_pending = 0;  // delivered, not yet acked (booting)
  std::uint64_t redelivered = 0;  // nak'ed or timed out, waiting to be redelivered
  int waiting_pulls = 0;          // pull requests waiting at the server
};
[[nodiscard]] Result<ConsumerBacklog> consumer_backlog(Connection& connection,
                                                       std::string_view stream,
                                                       std::string_view durable);

// The bus contract's resources (DESIGN.md): streams AETHER_CMDS and
// AETHER_EVENTS, consumers vm-create and vm-create-<class> (one per class
// of `vm_classes`), buckets aether_workers, aether_leases.
struct ProvisionConfig {
  int replicas = 1;  // 3 in production
  std::chrono::nanoseconds cmds_duplicate_window{std::chrono::minutes(2)};
  std::chrono::nanoseconds events_max_age{std::chrono::hours(24 * 7)};
  std::chrono::nanoseconds vm_create_ack_wait{std::chrono::seconds(60)};
  int vm_create_max_deliver = 5;
  std::vector<std::chrono::nanoseconds> vm_create_backoff{
      std::chrono::seconds(60), std::chrono::seconds(120), std::chrono::seconds(300)};
  std::chrono::nanoseconds workers_ttl{std::chrono::seconds(15)};
  VmClassTable vm_classes = default_vm_classes();
};

inline constexpr std::string_view kCmdsStream = "AETHER_CMDS";
inline constexpr std::string_view kEventsStream = "AETHER_EVENTS";
inline constexpr std::string_view kVmCreateConsumer = "vm-create";
inline constexpr std::string_view kVmCreateSubject = "aether.cmd.vm.create";  // plain: no class
inline constexpr std::string_view kWorkersBucket = "aether_workers";
inline constexpr std::string_view kLeasesBucket = "aether_leases";

// The contract's stream definitions, as provision() creates them.
// The definition of a create consumer (vm-create, or vm-create-<class> when
// `class_name` is given), as provision() creates it.
[[nodiscard]] ConsumerConfig vm_create_consumer_config(const ProvisionConfig& config,
                                                       std::string_view class_name = {});
[[nodiscard]] StreamConfig cmds_stream_config(const ProvisionConfig& config = {});
[[nodiscard]] StreamConfig events_stream_config(const ProvisionConfig& config = {});

struct ProvisionReport {
  std::vector<std::pair<std::string, Provisioned>> items;  // "stream AETHER_CMDS", ...
  [[nodiscard]] bool changed() const;
};

[[nodiscard]] Result<ProvisionReport> provision(Connection& connection,
                                                const ProvisionConfig& config = {});

}  // namespace aether::bus
