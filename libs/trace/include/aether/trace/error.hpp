// Error values returned by aether::trace at its boundaries.
#pragma once

#include <expected>
#include <string>

namespace aether::trace {

enum class Errc {
  kInvalidConfig = 1,  // an OTEL_* variable (or ExporterConfig field) breaks its rule
  kAlreadyRunning,     // init() while an exporter is installed
  kExportFailed,       // transport setup failed (libcurl)
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

}  // namespace aether::trace
