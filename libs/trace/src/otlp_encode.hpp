// RecordedSpan batches → OTLP ExportTraceServiceRequest bytes.
#pragma once

#include <string>
#include <vector>

#include "aether/trace/exporter.hpp"
#include "aether/trace/trace.hpp"

namespace aether::trace::detail {

// One ResourceSpans (service.name + resource attributes) with one ScopeSpans.
[[nodiscard]] std::string encode_export_request(const std::vector<RecordedSpan>& spans,
                                                const ExporterConfig& config);

// rejected_spans from an ExportTraceServiceResponse body (0 if absent or
// unparseable: a 2xx with an odd body still means accepted).
[[nodiscard]] std::int64_t rejected_spans(const std::string& response_body);

}  // namespace aether::trace::detail
