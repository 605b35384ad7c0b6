#include "event_projection.hpp"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <limits>

#include "ids.hpp"

namespace aether::api {
namespace {

using google::protobuf::util::TimeUtil;
using nlohmann::json;

json null_if_empty(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// The event time, or now when the publisher left it unset.
std::string event_time(const google::protobuf::Timestamp& at, double& unix_seconds) {
  google::protobuf::Timestamp t = at;
  if (t.seconds() == 0 && t.nanos() == 0) t = TimeUtil::GetCurrentTime();
  unix_seconds = static_cast<double>(t.seconds()) + t.nanos() / 1e9;
  return TimeUtil::ToString(t);
}

std::string to_json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out.empty() ? "{}" : out;
}

// "VM_STATE_READY" -> "READY"
std::string short_name(const std::string& enum_name, std::string_view prefix) {
  return enum_name.starts_with(prefix) ? enum_name.substr(prefix.size()) : enum_name;
}

json map_json(const google::protobuf::Map<std::string, std::string>& m) {
  json out = json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

pg::Result<std::int64_t> run(pg::Connection& c, const char* sql, const json& rows) {
  if (rows.empty()) return 0;
  auto r = c.exec(sql, {rows.dump()});
  if (!r) return std::unexpected(r.error());
  return r->affected();
}

constexpr const char* kInsertEvents =
    "INSERT INTO vm_events (stream_seq, vm_id, tenant_id, state, previous_state, reason,"
    " worker_id, node, at, traceparent, payload)"
    " SELECT x.stream_seq, x.vm_id, x.tenant_id, x.state, x.previous_state, x.reason, x.worker_id,"
    " x.node, x.at, x.traceparent, x.payload::jsonb FROM jsonb_to_recordset($1::jsonb) AS x("
    " stream_seq bigint, vm_id uuid, tenant_id text, state text, previous_state text, reason text,"
    " worker_id text, node text, at timestamptz, traceparent text, payload text)"
    " ON CONFLICT (stream_seq) DO NOTHING";

constexpr const char* kUpsertVms =
    "INSERT INTO vms AS v (id, tenant_id, state, spec, worker_id, node, runtime, accelerated,"
    " reason, created_at, updated_at, ready_at, last_event_seq)"
    " SELECT x.id, x.tenant_id, x.state, x.spec, x.worker_id, x.node, x.runtime, x.accelerated,"
    " x.reason, x.created_at, x.updated_at, x.ready_at, x.last_event_seq"
    " FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, tenant_id text, state text, spec jsonb,"
    " worker_id text, node text, runtime text, accelerated boolean, reason text,"
    " created_at timestamptz, updated_at timestamptz, ready_at timestamptz, last_event_seq bigint)"
    " ORDER BY x.id"
    " ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state,"
    " spec = CASE WHEN v.spec = '{}'::jsonb THEN EXCLUDED.spec ELSE v.spec END,"
    " worker_id = coalesce(EXCLUDED.worker_id, v.worker_id),"
    " node = coalesce(EXCLUDED.node, v.node), runtime = coalesce(EXCLUDED.runtime, v.runtime),"
    " accelerated = coalesce(EXCLUDED.accelerated, v.accelerated), reason = EXCLUDED.reason,"
    " updated_at = EXCLUDED.updated_at, ready_at = coalesce(v.ready_at, EXCLUDED.ready_at),"
    " last_event_seq = EXCLUDED.last_event_seq"
    " WHERE v.last_event_seq < EXCLUDED.last_event_seq AND v.tenant_id = EXCLUDED.tenant_id";

constexpr const char* kUpsertNodes =
    "INSERT INTO nodes AS n (name, state, kvm_usable, runtime, reason, labels, asset_sha256,"
    " first_seen_at, updated_at, last_event_seq)"
    " SELECT x.name, x.state, x.kvm_usable, x.runtime, x.reason, x.labels, x.asset_sha256,"
    " x.first_seen_at, x.updated_at, x.last_event_seq"
    " FROM jsonb_to_recordset($1::jsonb) AS x(name text, state text, kvm_usable boolean,"
    " runtime text, reason text, labels jsonb, asset_sha256 jsonb, first_seen_at timestamptz,"
    " updated_at timestamptz, last_event_seq bigint) ORDER BY x.name"
    " ON CONFLICT (name) DO UPDATE SET state = EXCLUDED.state, kvm_usable = EXCLUDED.kvm_usable,"
    " runtime = coalesce(EXCLUDED.runtime, n.runtime), reason = EXCLUDED.reason,"
    " labels = EXCLUDED.labels,"
    " asset_sha256 = CASE WHEN EXCLUDED.asset_sha256 = '{}'::jsonb THEN n.asset_sha256"
    " ELSE EXCLUDED.asset_sha256 END,"
    " updated_at = EXCLUDED.updated_at, last_event_seq = EXCLUDED.last_event_seq"
    " WHERE n.last_event_seq < EXCLUDED.last_event_seq";

constexpr const char* kInsertScale =
    "INSERT INTO scale_decisions (id, action, from_nodes, to_nodes, reason, queue_backlog,"
    " capacity_used_ratio, nodes, leader, decided_at, stream_seq)"
    " SELECT x.id, x.action, x.from_nodes, x.to_nodes, x.reason, x.queue_backlog,"
    " x.capacity_used_ratio, ARRAY(SELECT jsonb_array_elements_text(x.nodes)), x.leader,"
    " x.decided_at, x.stream_seq FROM jsonb_to_recordset($1::jsonb) AS x(id text, action text,"
    " from_nodes integer, to_nodes integer, reason text, queue_backlog bigint,"
    " capacity_used_ratio double precision, nodes jsonb, leader text, decided_at timestamptz,"
    " stream_seq bigint) ON CONFLICT DO NOTHING";

}  // namespace

EventKind classify_subject(std::string_view s) {
  if (s.starts_with("aether.evt.vm.")) return EventKind::kVm;
  if (s.starts_with("aether.evt.node.")) return EventKind::kNode;
  if (s.starts_with("aether.evt.scale.")) return EventKind::kScale;
  return EventKind::kIgnored;
}

std::optional<std::string> ProjectionBatch::add_vm(std::int64_t seq, const v1::VmEvent& e,
                                                   const std::string& header_traceparent) {
  if (!is_uuid(e.vm_id())) return "vm_id '" + e.vm_id().substr(0, 64) + "' is not a UUID";
  if (e.tenant().empty()) return "tenant is empty";
  if (e.state() == v1::VM_STATE_UNSPECIFIED || !v1::VmState_IsValid(e.state())) {
    return "state " + std::to_string(e.state()) + " is not a VM state";
  }
  double at_unix = 0;
  const std::string at = event_time(e.at(), at_unix);
  const std::string state = short_name(v1::VmState_Name(e.state()), "VM_STATE_");
  const std::string traceparent = e.traceparent().empty() ? header_traceparent : e.traceparent();
  vm_events_.push_back(
      {{"stream_seq", seq},
       {"vm_id", e.vm_id()},
       {"tenant_id", e.tenant()},
       {"state", state},
       {"previous_state",
        e.previous_state() == v1::VM_STATE_UNSPECIFIED || !v1::VmState_IsValid(e.previous_state())
            ? json(nullptr)
            : json(short_name(v1::VmState_Name(e.previous_state()), "VM_STATE_"))},
       {"reason", null_if_empty(e.reason())},
       {"worker_id", null_if_empty(e.worker_id())},
       {"node", null_if_empty(e.node())},
       {"at", at},
       {"traceparent", null_if_empty(traceparent)},
       // The proto3 JSON text as a JSON string: PostgreSQL parses it into
       // jsonb once (payload::jsonb), instead of nlohmann parsing it here and
       // printing it again (a third of the batch's build time, measured).
       {"payload", to_json(e)}});

  // Fold into the VM's row: the newest event's state wins; created_at is the
  // earliest time seen, ready_at the (first) READY.
  json& row = vms_[e.vm_id()];
  const bool newer = row.is_null() || row["last_event_seq"].get<std::int64_t>() < seq;
  if (row.is_null()) {
    // created_unix orders times (the text has 0-9 fraction digits); SQL ignores it.
    row = {{"id", e.vm_id()},    {"tenant_id", e.tenant()}, {"spec", json::object()},
           {"created_at", at},   {"created_unix", at_unix}, {"ready_at", nullptr},
           {"last_event_seq", 0}};
  }
  if (e.has_spec() && newer) row["spec"] = json::parse(to_json(e.spec()));
  if (e.state() == v1::VM_STATE_READY && row["ready_at"].is_null()) row["ready_at"] = at;
  if (newer) {
    row["state"] = state;
    row["worker_id"] = null_if_empty(e.worker_id());
    row["node"] = null_if_empty(e.node());
    row["runtime"] = null_if_empty(e.runtime());
    row["accelerated"] = e.runtime().empty() ? json(nullptr) : json(e.accelerated());
    row["reason"] = null_if_empty(e.reason());
    row["updated_at"] = at;
    row["last_event_seq"] = seq;
  }
  if (at_unix < row["created_unix"].get<double>()) {
    row["created_at"] = at;
    row["created_unix"] = at_unix;
  }
  ++size_;
  newest_at_ = std::max(newest_at_, at_unix);
  return std::nullopt;
}

std::optional<std::string> ProjectionBatch::add_node(std::int64_t seq, const v1::NodeEvent& e) {
  if (e.node().empty()) return "node is empty";
  if (e.state() == v1::NODE_STATE_UNSPECIFIED || !v1::NodeState_IsValid(e.state())) {
    return "state " + std::to_string(e.state()) + " is not a node state";
  }
  double at_unix = 0;
  const std::string at = event_time(e.at(), at_unix);
  json& row = nodes_[e.node()];
  if (row.is_null()) {
    row = {
        {"name", e.node()}, {"first_seen_at", at}, {"first_unix", at_unix}, {"last_event_seq", 0}};
  }
  if (row["last_event_seq"].get<std::int64_t>() < seq) {
    row["state"] = short_name(v1::NodeState_Name(e.state()), "NODE_STATE_");
    row["kvm_usable"] = e.kvm_usable();
    row["runtime"] = null_if_empty(e.runtime());
    row["reason"] = null_if_empty(e.reason());
    row["labels"] = map_json(e.labels());
    row["asset_sha256"] = map_json(e.asset_sha256());
    row["updated_at"] = at;
    row["last_event_seq"] = seq;
  }
  if (at_unix < row["first_unix"].get<double>()) {
    row["first_seen_at"] = at;
    row["first_unix"] = at_unix;
  }
  ++size_;
  newest_at_ = std::max(newest_at_, at_unix);
  return std::nullopt;
}

std::optional<std::string> ProjectionBatch::add_scale(std::int64_t seq,
                                                      const v1::ScaleDecision& d) {
  if (d.decision_id().empty()) return "decision_id is empty";
  if (d.action() == v1::SCALE_ACTION_UNSPECIFIED || !v1::ScaleAction_IsValid(d.action())) {
    return "action " + std::to_string(d.action()) + " is not a scale action";
  }
  if (d.from_nodes() < 0 || d.to_nodes() < 0) return "from_nodes and to_nodes must be >= 0";
  if (d.queue_backlog() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return "queue_backlog out of range";
  }
  double at_unix = 0;
  const std::string at = event_time(d.at(), at_unix);
  json nodes = json::array();
  for (const auto& n : d.nodes()) nodes.push_back(n);
  scale_.push_back({{"id", d.decision_id()},
                    {"action", short_name(v1::ScaleAction_Name(d.action()), "SCALE_ACTION_")},
                    {"from_nodes", d.from_nodes()},
                    {"to_nodes", d.to_nodes()},
                    {"reason", d.reason()},
                    {"queue_backlog", static_cast<std::int64_t>(d.queue_backlog())},
                    {"capacity_used_ratio", d.capacity_used_ratio()},
                    {"nodes", nodes},
                    {"leader", d.leader()},
                    {"decided_at", at},
                    {"stream_seq", seq}});
  ++size_;
  newest_at_ = std::max(newest_at_, at_unix);
  return std::nullopt;
}

pg::Result<BatchCounts> ProjectionBatch::write(pg::Connection& conn) const {
  BatchCounts counts;
  auto folded = [](const std::map<std::string, json>& m) {
    json rows = json::array();
    for (const auto& [key, row] : m) rows.push_back(row);
    return rows;
  };
  auto events = run(conn, kInsertEvents, vm_events_);
  if (!events) return std::unexpected(events.error());
  counts.vm_events = *events;
  auto vms = run(conn, kUpsertVms, folded(vms_));
  if (!vms) return std::unexpected(vms.error());
  counts.vms = *vms;
  auto nodes = run(conn, kUpsertNodes, folded(nodes_));
  if (!nodes) return std::unexpected(nodes.error());
  counts.nodes = *nodes;
  auto scale = run(conn, kInsertScale, scale_);
  if (!scale) return std::unexpected(scale.error());
  counts.scale_decisions = *scale;
  return counts;
}

std::vector<std::string> ProjectionBatch::vm_ids() const {
  std::vector<std::string> ids;
  ids.reserve(vms_.size());
  for (const auto& [id, row] : vms_) ids.push_back(id);
  return ids;
}

}  // namespace aether::api
