// How bus events become rows: a ProjectionBatch collects decoded events
// (validated against the schema's CHECKs first, so one bad event can never
// fail a whole transaction) and writes them with a handful of statements,
// whatever the batch size:
//   vm_events        INSERT ... ON CONFLICT (stream_seq) DO NOTHING
//   vms              one upsert per VM (the batch's events folded together),
//                    applied only WHERE vms.last_event_seq < the batch's seq
//                    and the tenant matches (an event never moves a VM to
//                    another tenant)
//   nodes            one upsert per node, same sequence guard
//   scale_decisions  INSERT ... ON CONFLICT DO NOTHING (decision id, seq)
// so projecting an event twice, or replaying the stream, changes nothing.
// Rows go to PostgreSQL as one jsonb array per table (jsonb_to_recordset).
// Threads: one owner.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "aether/pg/connection.hpp"
#include "aether/v1/node.pb.h"
#include "aether/v1/scale.pb.h"
#include "aether/v1/vm.pb.h"

namespace aether::api {

enum class EventKind { kVm, kNode, kScale, kIgnored };

// By subject: aether.evt.vm.*.*, aether.evt.node.*.*, aether.evt.scale.*;
// worker and schema events (and anything else) are not projected.
[[nodiscard]] EventKind classify_subject(std::string_view subject);

struct BatchCounts {
  std::int64_t vm_events = 0;  // rows inserted (replays insert 0)
  std::int64_t vms = 0;        // rows inserted or updated
  std::int64_t nodes = 0;
  std::int64_t scale_decisions = 0;
};

class ProjectionBatch {
 public:
  // Each returns an error message (and adds nothing) when the event breaks
  // the schema's rules: bad id, unspecified state, negative counts...
  [[nodiscard]] std::optional<std::string> add_vm(std::int64_t seq, const v1::VmEvent& e,
                                                  const std::string& header_traceparent = {});
  [[nodiscard]] std::optional<std::string> add_node(std::int64_t seq, const v1::NodeEvent& e);
  [[nodiscard]] std::optional<std::string> add_scale(std::int64_t seq, const v1::ScaleDecision& d);

  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  // The VMs whose rows the batch writes (for the read cache's invalidation).
  [[nodiscard]] std::vector<std::string> vm_ids() const;
  // Unix seconds of the newest event time in the batch (0: none).
  [[nodiscard]] double newest_event_time() const { return newest_at_; }

  // Inside the caller's transaction.
  [[nodiscard]] pg::Result<BatchCounts> write(pg::Connection& conn) const;

 private:
  nlohmann::json vm_events_ = nlohmann::json::array();
  std::map<std::string, nlohmann::json> vms_;    // by id: the folded row (sorted: lock order)
  std::map<std::string, nlohmann::json> nodes_;  // by name
  nlohmann::json scale_ = nlohmann::json::array();
  std::size_t size_ = 0;
  double newest_at_ = 0;
};

}  // namespace aether::api
