// Reads for the operator routes: worker nodes as the node-provisioner
// reported them (projected from aether.evt.node.*), and the autoscaler's
// latest decisions (from aether.evt.scale.*). Not tenant data: only keys
// with the `operator` scope reach these.
// Threads: any; no state of its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aether/pg/pool.hpp"
#include "store_error.hpp"

namespace aether::api {

struct NodeRecord {
  std::string name;
  std::string state;  // PROBED, READY, UNUSABLE, DRAINING, REMOVED
  bool kvm_usable = false;
  std::optional<std::string> runtime;
  std::optional<std::string> reason;
  std::string labels_json;        // {"k":"v"}
  std::string asset_sha256_json;  // {"asset":"sha256"}
  std::string first_seen_at;      // RFC 3339
  std::string updated_at;
  std::int64_t last_event_seq = 0;
};

struct ScaleDecisionRecord {
  std::string id;
  std::string action;  // SCALE_UP, SCALE_DOWN, HOLD
  std::int64_t from_nodes = 0;
  std::int64_t to_nodes = 0;
  std::string reason;
  std::int64_t queue_backlog = 0;
  std::optional<double> capacity_used_ratio;
  std::vector<std::string> nodes;
  std::string leader;
  std::string decided_at;  // RFC 3339
  std::optional<std::int64_t> stream_seq;
};

class NodeStore {
 public:
  explicit NodeStore(pg::Pool& pool) : pool_(pool) {}
  // Every node by name; REMOVED ones only when asked.
  [[nodiscard]] StoreResult<std::vector<NodeRecord>> list(bool include_removed = false);
  [[nodiscard]] StoreResult<std::optional<NodeRecord>> get(const std::string& name);

 private:
  pg::Pool& pool_;
};

class ScaleDecisionStore {
 public:
  explicit ScaleDecisionStore(pg::Pool& pool) : pool_(pool) {}
  // Newest first; `action` filters (kInvalid "action" for an unknown one).
  [[nodiscard]] StoreResult<std::vector<ScaleDecisionRecord>> latest(
      int limit = 20, const std::optional<std::string>& action = {});

 private:
  pg::Pool& pool_;
};

}  // namespace aether::api
