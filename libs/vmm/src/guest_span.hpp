// Turns the agent's RemoteSpan into a span the host exports (aether::trace).
// The guest is untrusted, so its span is only accepted as a child of the
// request's own span in the request's trace, its timestamps are clamped to
// what the host observed, and its name and attributes are bounded.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "aether/trace/trace.hpp"
#include "aether/v1/guest.pb.h"

namespace aether::vmm {

// The service the guest's spans are exported under (its own OTLP resource,
// although the worker ships them): the guest's own name, never one it sends.
inline constexpr std::string_view kGuestServiceName = "vm-agent";

[[nodiscard]] std::optional<trace::RecordedSpan> guest_span_for_export(
    const v1::RemoteSpan& span, const v1::TraceContext& request_trace,
    std::chrono::system_clock::time_point sent, std::chrono::system_clock::time_point received);

}  // namespace aether::vmm
