// Placeholder until the OTLP exporter lands: nothing is installed, spans drop.
#include <cstdlib>

#include "aether/trace/exporter.hpp"
#include "export_hook.hpp"

namespace aether::trace {
namespace detail {
bool exporter_installed() { return false; }
}  // namespace detail
void export_recorded(RecordedSpan) {}

std::optional<std::string> process_env(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<ExporterConfig> exporter_config_from_env(std::string_view default_service_name,
                                                const EnvLookup&) {
  ExporterConfig config;
  config.service_name = default_service_name;
  return config;
}

Result<void> init(ExporterConfig config) {
  set_sampler(config.sampler);
  return {};
}

Result<void> init_from_env(std::string_view default_service_name) {
  auto config = exporter_config_from_env(default_service_name);
  if (!config) return std::unexpected(config.error());
  return init(std::move(*config));
}

bool force_flush(std::chrono::milliseconds) { return true; }
void shutdown(std::chrono::milliseconds) {}
ExporterStats stats() { return {}; }
}  // namespace aether::trace
