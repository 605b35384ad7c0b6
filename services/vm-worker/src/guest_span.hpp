// The span vm-agent records inside the guest comes back in ExecReply as a
// RemoteSpan; the host exports it (the guest cannot reach the collector).
#pragma once

#include <optional>

#include "aether/trace/trace.hpp"
#include "aether/v1/common.pb.h"

namespace aether::worker {

// nullopt when the ids are not well-formed hex (such a span is dropped).
[[nodiscard]] std::optional<trace::RecordedSpan> to_recorded_span(const v1::RemoteSpan& span);
// Converts and hands to the exporter; logs and drops a malformed one.
void export_guest_span(const v1::RemoteSpan& span);

}  // namespace aether::worker
