// The seam between Span (which records) and the exporter (which ships).
#pragma once

#include "aether/trace/trace.hpp"

namespace aether::trace::detail {

// True when an exporter is installed; lets Span skip building the record.
[[nodiscard]] bool exporter_installed();

}  // namespace aether::trace::detail
