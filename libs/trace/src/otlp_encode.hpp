// RecordedSpan batches → OTLP ExportTraceServiceRequest bytes.
#pragma once

#include <string>
#include <vector>

#include "aether/trace/exporter.hpp"
#include "aether/trace/trace.hpp"

namespace aether::trace::detail {

// One ResourceSpans per service: the exporter's (service.name + resource
// attributes) and one for each RecordedSpan::service_name, in first-seen
// order. A relayed service's resource has service.name = its name,
// aether.exported_by = the exporter's service, and the exporter's resource
// attributes except those naming the exporting process itself
// (service.instance.id, service.version).
[[nodiscard]] std::string encode_export_request(const std::vector<RecordedSpan>& spans,
                                                const ExporterConfig& config);

// rejected_spans from an ExportTraceServiceResponse body (0 if absent or
// unparseable: a 2xx with an odd body still means accepted).
[[nodiscard]] std::int64_t rejected_spans(const std::string& response_body);

}  // namespace aether::trace::detail
