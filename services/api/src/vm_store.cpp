#include "vm_store.hpp"

#include <nlohmann/json.hpp>

#include <array>

#include "ids.hpp"
#include "sql_time.hpp"
#include "vm_cursor.hpp"

namespace aether::api {
namespace {

#define AETHER_VM_COLUMNS                                                           \
  "id::text, tenant_id, state, spec::text, worker_id, node, runtime, accelerated, " \
  "reason, " AETHER_SQL_TIME("created_at") ", " AETHER_SQL_TIME(                    \
      "updated_at") ", " AETHER_SQL_TIME("ready_at") ", last_event_seq"

constexpr const char* kLiveStates = "('STOPPED', 'DELETED', 'FAILED')";

VmRecord read_vm(const pg::Rows& rows, int r) {
  return VmRecord{rows.str(r, 0),     rows.str(r, 1),     rows.str(r, 2),     rows.str(r, 3),
                  rows.opt_str(r, 4), rows.opt_str(r, 5), rows.opt_str(r, 6), rows.opt_bool(r, 7),
                  rows.opt_str(r, 8), rows.str(r, 9),     rows.str(r, 10),    rows.opt_str(r, 11),
                  rows.int64(r, 12)};
}

pg::Result<TenantUsage> read_usage(pg::Connection& c, const std::string& tenant_id) {
  auto rows = c.exec((std::string("SELECT count(*), coalesce(sum((spec->>'vcpus')::bigint), 0),"
                                  " coalesce(sum((spec->>'memoryMib')::bigint), 0) FROM vms"
                                  " WHERE tenant_id = $1 AND state NOT IN ") +
                      kLiveStates)
                         .c_str(),
                     {tenant_id});
  if (!rows) return std::unexpected(rows.error());
  return TenantUsage{rows->int64(0, 0), rows->int64(0, 1), rows->int64(0, 2)};
}

}  // namespace

bool valid_vm_state(std::string_view s) {
  static constexpr std::array<std::string_view, 11> kStates = {
      "PENDING", "SCHEDULED", "BOOTING", "READY",  "STOPPING", "STOPPED",
      "DELETED", "FAILED",    "PAUSING", "PAUSED", "RESUMING"};
  return std::find(kStates.begin(), kStates.end(), s) != kStates.end();
}

StoreResult<VmRecord> VmStore::create_pending(const NewVm& vm, const QuotaDefaults& defaults) {
  if (!is_uuid(vm.id)) return store_error(StoreErrc::kInvalid, "vm id must be a UUID", "id");
  return pool_.transaction([&](pg::Connection& c) -> StoreResult<VmRecord> {
    auto tenant = c.exec(
        "SELECT coalesce(max_vms, $2::bigint), coalesce(max_vcpus, $3::bigint),"
        " coalesce(max_memory_mib, $4::bigint) FROM tenants"
        " WHERE id = $1 AND disabled_at IS NULL FOR UPDATE",
        {vm.tenant_id, std::to_string(defaults.max_vms), std::to_string(defaults.max_vcpus),
         std::to_string(defaults.max_memory_mib)});
    if (!tenant) return std::unexpected(StoreError(tenant.error()));
    if (tenant->empty()) {
      return store_error(StoreErrc::kNotFound, "no tenant '" + vm.tenant_id + "'", "tenant");
    }
    auto used = read_usage(c, vm.tenant_id);
    if (!used) return std::unexpected(StoreError(used.error()));
    const std::int64_t max_vms = tenant->int64(0, 0), max_vcpus = tenant->int64(0, 1),
                       max_mem = tenant->int64(0, 2);
    if (used->vms + 1 > max_vms) {
      return store_error(StoreErrc::kQuotaExceeded,
                         "tenant '" + vm.tenant_id + "' has " + std::to_string(used->vms) +
                             " live VMs, its quota max_vms is " + std::to_string(max_vms),
                         "max_vms");
    }
    if (used->vcpus + vm.vcpus > max_vcpus) {
      return store_error(StoreErrc::kQuotaExceeded,
                         "tenant '" + vm.tenant_id + "' uses " + std::to_string(used->vcpus) +
                             " vCPUs, " + std::to_string(vm.vcpus) + " more exceed max_vcpus " +
                             std::to_string(max_vcpus),
                         "max_vcpus");
    }
    if (used->memory_mib + vm.memory_mib > max_mem) {
      return store_error(StoreErrc::kQuotaExceeded,
                         "tenant '" + vm.tenant_id + "' uses " + std::to_string(used->memory_mib) +
                             " MiB, " + std::to_string(vm.memory_mib) +
                             " MiB more exceed max_memory_mib " + std::to_string(max_mem),
                         "max_memory_mib");
    }
    auto rows = c.exec(
        "INSERT INTO vms (id, tenant_id, state, spec, created_at, updated_at)"
        " VALUES ($1::uuid, $2, 'PENDING', $3::jsonb, clock_timestamp(),"
        " clock_timestamp()) RETURNING " AETHER_VM_COLUMNS,
        {vm.id, vm.tenant_id, vm.spec_json.empty() ? "{}" : vm.spec_json});
    if (!rows) {
      if (rows.error().code == pg::Errc::kConflict) {
        return store_error(StoreErrc::kConflict, "vm " + vm.id + " already exists", "id");
      }
      if (rows.error().code == pg::Errc::kInvalid) {
        return store_error(StoreErrc::kInvalid, "spec: " + rows.error().message, "spec");
      }
      return std::unexpected(StoreError(rows.error()));
    }
    return read_vm(*rows, 0);
  });
}

StoreResult<std::optional<VmRecord>> VmStore::get(const std::string& tenant_id,
                                                  const std::string& id) {
  if (!is_uuid(id)) return std::optional<VmRecord>();
  auto rows =
      pool_.query("SELECT " AETHER_VM_COLUMNS " FROM vms WHERE id = $1::uuid AND tenant_id = $2",
                  {id, tenant_id});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  if (rows->empty()) return std::optional<VmRecord>();
  return read_vm(*rows, 0);
}

StoreResult<VmPage> VmStore::list(const std::string& tenant_id, const VmListQuery& q) {
  if (q.limit < 1 || q.limit > kMaxPageSize) {
    return store_error(StoreErrc::kInvalid,
                       "limit must be between 1 and " + std::to_string(kMaxPageSize), "limit");
  }
  if (q.state && !valid_vm_state(*q.state)) {
    return store_error(StoreErrc::kInvalid,
                       "state must be one of PENDING, SCHEDULED, BOOTING, READY, STOPPING, "
                       "STOPPED, DELETED, FAILED, PAUSING, PAUSED, RESUMING",
                       "state");
  }
  std::string sql = "SELECT " AETHER_VM_COLUMNS " FROM vms WHERE tenant_id = $1";
  pg::Params params{tenant_id};
  auto next = [&] { return "$" + std::to_string(params.size()); };
  if (!q.cursor.empty()) {
    auto c = decode_cursor(q.cursor);
    if (!c)
      return store_error(StoreErrc::kInvalid, "cursor is not one this API returned", "cursor");
    params.emplace_back(c->created_at);
    sql += " AND (created_at, id) < (" + next() + "::timestamptz, ";
    params.emplace_back(c->id);
    sql += next() + "::uuid)";
  }
  if (q.state) {
    params.emplace_back(*q.state);
    sql += " AND state = " + next();
  }
  if (!q.labels.empty()) {
    params.emplace_back(nlohmann::json(q.labels).dump());
    sql += " AND spec->'labels' @> " + next() + "::jsonb";
  }
  params.emplace_back(std::to_string(q.limit + 1));
  sql += " ORDER BY created_at DESC, id DESC LIMIT " + next();
  auto rows = pool_.query(sql.c_str(), params);
  if (!rows) return std::unexpected(StoreError(rows.error()));
  VmPage page;
  const int n = std::min(rows->size(), q.limit);
  for (int r = 0; r < n; ++r) page.vms.push_back(read_vm(*rows, r));
  if (rows->size() > q.limit) {
    page.next_cursor = encode_cursor({page.vms.back().created_at, page.vms.back().id});
  }
  return page;
}

StoreResult<std::optional<std::vector<VmEventRecord>>> VmStore::events(const std::string& tenant_id,
                                                                       const std::string& id,
                                                                       std::int64_t after_seq,
                                                                       int limit) {
  using Out = std::optional<std::vector<VmEventRecord>>;
  if (!is_uuid(id)) return Out();
  if (limit < 1 || limit > 10000) {
    return store_error(StoreErrc::kInvalid, "limit must be between 1 and 10000", "limit");
  }
  // One statement: the VM's existence in the tenant and its events.
  auto rows = pool_.query(
      "SELECT v.id IS NOT NULL, e.stream_seq, e.state, e.previous_state, e.reason, e.worker_id,"
      " e.node, " AETHER_SQL_TIME("e.at") ", e.traceparent, coalesce(e.payload::text, '{}')"
      " FROM (SELECT id FROM vms WHERE id = $1::uuid AND tenant_id = $2) v"
      " LEFT JOIN LATERAL (SELECT * FROM vm_events WHERE vm_id = $1::uuid AND tenant_id = $2"
      "   AND stream_seq > $3::bigint ORDER BY stream_seq LIMIT $4::int) e ON true"
      " ORDER BY e.stream_seq",
      {id, tenant_id, std::to_string(after_seq), std::to_string(limit)});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  if (rows->empty() || !rows->boolean(0, 0)) return Out();
  std::vector<VmEventRecord> out;
  for (int r = 0; r < rows->size(); ++r) {
    if (rows->is_null(r, 1)) continue;  // the VM row without events
    out.push_back(VmEventRecord{rows->int64(r, 1), id, rows->str(r, 2), rows->opt_str(r, 3),
                                rows->opt_str(r, 4), rows->opt_str(r, 5), rows->opt_str(r, 6),
                                rows->str(r, 7), rows->opt_str(r, 8), rows->str(r, 9)});
  }
  return out;
}

StoreResult<TenantUsage> VmStore::usage(const std::string& tenant_id) {
  auto lease = pool_.acquire();
  if (!lease) return std::unexpected(StoreError(lease.error()));
  auto used = read_usage(**lease, tenant_id);
  if (!used) return std::unexpected(StoreError(used.error()));
  return *used;
}

StoreResult<std::optional<VmRecord>> VmStore::mark_failed(const std::string& tenant_id,
                                                          const std::string& id,
                                                          const std::string& reason) {
  if (!is_uuid(id)) return std::optional<VmRecord>();
  auto rows = pool_.query(
      "UPDATE vms SET state = 'FAILED', reason = $3, updated_at = clock_timestamp()"
      " WHERE id = $1::uuid AND tenant_id = $2 AND state = 'PENDING' AND last_event_seq = 0"
      " RETURNING " AETHER_VM_COLUMNS,
      {id, tenant_id, reason});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  if (rows->empty()) return std::optional<VmRecord>();
  return read_vm(*rows, 0);
}

StoreResult<std::optional<VmRecord>> VmStore::mark_deleted(const std::string& tenant_id,
                                                           const std::string& id,
                                                           const std::string& reason,
                                                           std::int64_t event_seq) {
  if (!is_uuid(id)) return std::optional<VmRecord>();
  auto rows = pool_.query(
      "UPDATE vms SET state = 'DELETED', reason = $3, updated_at = clock_timestamp(),"
      " last_event_seq = $4::bigint"
      " WHERE id = $1::uuid AND tenant_id = $2 AND last_event_seq < $4::bigint"
      " RETURNING " AETHER_VM_COLUMNS,
      {id, tenant_id, reason, std::to_string(event_seq)});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  if (rows->empty()) return std::optional<VmRecord>();
  return read_vm(*rows, 0);
}

}  // namespace aether::api
