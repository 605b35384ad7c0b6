#include "node_store.hpp"

#include "sql_time.hpp"

namespace aether::api {
namespace {

#define AETHER_NODE_COLUMNS                                                                       \
  "name, state, kvm_usable, runtime, reason, labels::text, asset_sha256::text, " AETHER_SQL_TIME( \
      "first_seen_at") ", " AETHER_SQL_TIME("updated_at") ", last_event_seq"

NodeRecord read_node(const pg::Rows& rows, int r) {
  return NodeRecord{rows.str(r, 0),     rows.str(r, 1),  rows.boolean(r, 2), rows.opt_str(r, 3),
                    rows.opt_str(r, 4), rows.str(r, 5),  rows.str(r, 6),     rows.str(r, 7),
                    rows.str(r, 8),     rows.int64(r, 9)};
}

}  // namespace

StoreResult<std::vector<NodeRecord>> NodeStore::list(bool include_removed) {
  auto rows = pool_.query("SELECT " AETHER_NODE_COLUMNS
                          " FROM nodes WHERE $1::boolean OR state <> 'REMOVED' ORDER BY name",
                          {include_removed ? "true" : "false"});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  std::vector<NodeRecord> out;
  for (int r = 0; r < rows->size(); ++r) out.push_back(read_node(*rows, r));
  return out;
}

StoreResult<std::optional<NodeRecord>> NodeStore::get(const std::string& name) {
  auto rows = pool_.query("SELECT " AETHER_NODE_COLUMNS " FROM nodes WHERE name = $1", {name});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  if (rows->empty()) return std::optional<NodeRecord>();
  return read_node(*rows, 0);
}

StoreResult<std::vector<ScaleDecisionRecord>> ScaleDecisionStore::latest(
    int limit, const std::optional<std::string>& action) {
  if (limit < 1 || limit > 1000) {
    return store_error(StoreErrc::kInvalid, "limit must be between 1 and 1000", "limit");
  }
  if (action && *action != "SCALE_UP" && *action != "SCALE_DOWN" && *action != "HOLD") {
    return store_error(StoreErrc::kInvalid, "action must be SCALE_UP, SCALE_DOWN or HOLD",
                       "action");
  }
  auto rows = pool_.query(
      "SELECT id, action, from_nodes, to_nodes, reason, queue_backlog, capacity_used_ratio,"
      " nodes, leader, " AETHER_SQL_TIME("decided_at") ", stream_seq FROM scale_decisions"
      " WHERE $1::text IS NULL OR action = $1 ORDER BY decided_at DESC, id DESC LIMIT $2::int",
      {action, std::to_string(limit)});
  if (!rows) return std::unexpected(StoreError(rows.error()));
  std::vector<ScaleDecisionRecord> out;
  for (int r = 0; r < rows->size(); ++r) {
    ScaleDecisionRecord d{rows->str(r, 0),   rows->str(r, 1),        rows->int64(r, 2),
                          rows->int64(r, 3), rows->str(r, 4),        rows->int64(r, 5),
                          std::nullopt,      rows->text_array(r, 7), rows->str(r, 8),
                          rows->str(r, 9),   rows->opt_int(r, 10)};
    if (!rows->is_null(r, 6)) d.capacity_used_ratio = std::stod(rows->str(r, 6));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace aether::api
