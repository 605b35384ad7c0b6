// Idempotent JetStream provisioning: streams, durable pull consumers and KV
// buckets are created when missing, updated when their configuration differs,
// and left alone otherwise (so every service may run provision() at start-up).
// Threads: plain blocking calls, any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
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

// The bus contract's resources (DESIGN.md): streams AETHER_CMDS and
// AETHER_EVENTS, consumer vm-create, buckets aether_workers, aether_leases.
struct ProvisionConfig {
  int replicas = 1;  // 3 in production
  std::chrono::nanoseconds cmds_duplicate_window{std::chrono::minutes(2)};
  std::chrono::nanoseconds events_max_age{std::chrono::hours(24 * 7)};
  std::chrono::nanoseconds vm_create_ack_wait{std::chrono::seconds(60)};
  int vm_create_max_deliver = 5;
  std::vector<std::chrono::nanoseconds> vm_create_backoff{
      std::chrono::seconds(60), std::chrono::seconds(120), std::chrono::seconds(300)};
  std::chrono::nanoseconds workers_ttl{std::chrono::seconds(15)};
};

inline constexpr std::string_view kCmdsStream = "AETHER_CMDS";
inline constexpr std::string_view kEventsStream = "AETHER_EVENTS";
inline constexpr std::string_view kVmCreateConsumer = "vm-create";
inline constexpr std::string_view kVmCreateSubject = "aether.cmd.vm.create";
inline constexpr std::string_view kWorkersBucket = "aether_workers";
inline constexpr std::string_view kLeasesBucket = "aether_leases";

// The contract's stream definitions, as provision() creates them.
[[nodiscard]] StreamConfig cmds_stream_config(const ProvisionConfig& config = {});
[[nodiscard]] StreamConfig events_stream_config(const ProvisionConfig& config = {});

struct ProvisionReport {
  std::vector<std::pair<std::string, Provisioned>> items;  // "stream AETHER_CMDS", ...
  [[nodiscard]] bool changed() const;
};

[[nodiscard]] Result<ProvisionReport> provision(Connection& connection,
                                                const ProvisionConfig& config = {});

}  // namespace aether::bus
