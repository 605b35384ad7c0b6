// The api's VM rows (the projection of the bus, plus the PENDING row the
// api writes before it publishes a CreateVm), always scoped to one tenant:
// another tenant's VM is "not found", exactly like a VM that does not exist.
//
// create_pending() checks the tenant's quotas (max_vms, max_vcpus,
// max_memory_mib over its live VMs; NULL quotas take the platform
// defaults) and inserts in one transaction holding the tenant's row lock,
// so two concurrent creates cannot both take the last slot.
// Threads: any; no state of its own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aether/pg/pool.hpp"
#include "store_error.hpp"

namespace aether::api {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

struct VmRecord {
  std::string id;
  std::string tenant_id;
  std::string state;      // "PENDING", "READY", ... (schema 0002)
  std::string spec_json;  // VmSpec in proto3 JSON
  std::optional<std::string> worker_id;
  std::optional<std::string> node;
  std::optional<std::string> runtime;
  std::optional<bool> accelerated;
  std::optional<std::string> reason;
  std::string created_at;  // RFC 3339, UTC, µs
  std::string updated_at;
  std::optional<std::string> ready_at;
  std::int64_t last_event_seq = 0;  // 0: no event projected yet
};

struct NewVm {
  std::string id;  // UUIDv7 (ids.hpp new_uuid_v7)
  std::string tenant_id;
  std::string spec_json;        // proto3 JSON of the VmSpec with defaults filled in
  std::int64_t vcpus = 0;       // from the spec, for the quota
  std::int64_t memory_mib = 0;  // from the spec, for the quota
};

// Quotas of tenants whose columns are NULL (AETHER_API_DEFAULT_MAX_*).
struct QuotaDefaults {
  std::int64_t max_vms = 10;
  std::int64_t max_vcpus = 32;
  std::int64_t max_memory_mib = 65536;
};

struct TenantUsage {
  std::int64_t vms = 0;  // live: not STOPPED, DELETED or FAILED
  std::int64_t vcpus = 0;
  std::int64_t memory_mib = 0;
};

struct VmListQuery {
  std::optional<std::string> state;           // one of the states; kInvalid "state" otherwise
  std::map<std::string, std::string> labels;  // every one must match (label=k=v)
  int limit = kDefaultPageSize;               // 1..kMaxPageSize; kInvalid "limit" otherwise
  std::string cursor;                         // "" : first page; bad: kInvalid "cursor"
};

struct VmPage {
  std::vector<VmRecord> vms;               // newest first
  std::optional<std::string> next_cursor;  // set when more rows follow
};

struct VmEventRecord {
  std::int64_t stream_seq = 0;  // AETHER_EVENTS sequence
  std::string vm_id;
  std::string state;
  std::optional<std::string> previous_state;
  std::optional<std::string> reason;
  std::optional<std::string> worker_id;
  std::optional<std::string> node;
  std::string at;  // RFC 3339
  std::optional<std::string> traceparent;
  std::string payload_json;  // the whole VmEvent in proto3 JSON ("{}" when absent)
};

[[nodiscard]] bool valid_vm_state(std::string_view state);

class VmStore {
 public:
  explicit VmStore(pg::Pool& pool) : pool_(pool) {}

  // Inserts the PENDING row. kNotFound "tenant" (no such tenant or
  // disabled), kQuotaExceeded (field: max_vms | max_vcpus | max_memory_mib),
  // kConflict "id" when the id exists.
  [[nodiscard]] StoreResult<VmRecord> create_pending(const NewVm& vm,
                                                     const QuotaDefaults& defaults = {});
  // nullopt: no such VM in this tenant (a malformed id is nullopt too).
  [[nodiscard]] StoreResult<std::optional<VmRecord>> get(const std::string& tenant_id,
                                                         const std::string& id);
  [[nodiscard]] StoreResult<VmPage> list(const std::string& tenant_id, const VmListQuery& query);
  // Events in stream order after `after_seq`; nullopt when the VM is not the tenant's.
  [[nodiscard]] StoreResult<std::optional<std::vector<VmEventRecord>>> events(
      const std::string& tenant_id, const std::string& id, std::int64_t after_seq = 0,
      int limit = 1000);
  [[nodiscard]] StoreResult<TenantUsage> usage(const std::string& tenant_id);
  // When publishing the CreateVm failed after create_pending: FAILED with
  // `reason`, only while no event has been projected (the bus did not take
  // it). nullopt when the VM is not the tenant's or has moved on.
  [[nodiscard]] StoreResult<std::optional<VmRecord>> mark_failed(const std::string& tenant_id,
                                                                 const std::string& id,
                                                                 const std::string& reason);
  // After the api published a DELETED VmEvent itself (no worker held the VM,
  // unheld_vm.hpp): DELETED with `reason` at that event's stream sequence,
  // unless a newer event was projected meanwhile. nullopt when the VM is not
  // the tenant's or a newer event won.
  [[nodiscard]] StoreResult<std::optional<VmRecord>> mark_deleted(const std::string& tenant_id,
                                                                  const std::string& id,
                                                                  const std::string& reason,
                                                                  std::int64_t event_seq);

 private:
  pg::Pool& pool_;
};

}  // namespace aether::api
