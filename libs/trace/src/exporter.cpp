// The process-wide exporter installed by init() and removed by shutdown().
#include <spdlog/spdlog.h>

#include <mutex>

#include "aether/trace/exporter.hpp"
#include "batch_exporter.hpp"
#include "export_hook.hpp"

namespace aether::trace {
namespace {

// g_mutex guards g_exporter and g_counters. Span::end only takes it when
// g_installed says an exporter exists, so a process without tracing pays one
// atomic load per span.
std::mutex g_mutex;
std::shared_ptr<detail::BatchExporter> g_exporter;
std::shared_ptr<detail::ExportCounters> g_counters = std::make_shared<detail::ExportCounters>();
std::atomic<bool> g_installed{false};

Result<void> validate(const ExporterConfig& config) {
  auto bad = [](std::string field, std::string rule) {
    return std::unexpected(Error{Errc::kInvalidConfig, "ExporterConfig." + field + ": " + rule});
  };
  if (config.max_queue_size == 0) return bad("max_queue_size", "must be at least 1");
  if (config.max_export_batch_size == 0 || config.max_export_batch_size > config.max_queue_size) {
    return bad("max_export_batch_size", "must be between 1 and max_queue_size");
  }
  if (config.schedule_delay.count() <= 0) return bad("schedule_delay", "must be positive");
  if (config.timeout.count() <= 0) return bad("timeout", "must be positive");
  if (config.retry.max_attempts < 1) return bad("retry.max_attempts", "must be at least 1");
  if (config.retry.initial_backoff.count() < 0 ||
      config.retry.max_backoff < config.retry.initial_backoff) {
    return bad("retry", "need 0 <= initial_backoff <= max_backoff");
  }
  if (!(config.sampler.ratio >= 0.0 && config.sampler.ratio <= 1.0)) {
    return bad("sampler.ratio", "must be between 0 and 1");
  }
  return {};
}

}  // namespace

namespace detail {
bool exporter_installed() { return g_installed.load(std::memory_order_acquire); }
}  // namespace detail

void export_recorded(RecordedSpan span) {
  std::shared_ptr<detail::BatchExporter> exporter;
  {
    std::lock_guard lock(g_mutex);
    exporter = g_exporter;
  }
  if (!exporter) return;
  if (!span.context.valid()) {
    g_counters->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  exporter->enqueue(std::move(span));
}

Result<void> init(ExporterConfig config) {
  if (auto ok = validate(config); !ok) return ok;
  std::lock_guard lock(g_mutex);
  if (g_exporter) {
    return std::unexpected(Error{Errc::kAlreadyRunning, "tracing already initialised"});
  }
  g_counters = std::make_shared<detail::ExportCounters>();
  if (config.disabled) {
    // The SDK does nothing: no export, and this process starts no sampled
    // traces, but callers' decisions still propagate through it.
    set_sampler({SamplerKind::kParentBasedAlwaysOff, 0.0});
    spdlog::info("tracing disabled (OTEL_SDK_DISABLED)");
    return {};
  }
  set_sampler(config.sampler);
  if (config.endpoint.empty()) {
    spdlog::info("tracing: no OTLP endpoint configured, spans are propagated but not exported");
    return {};
  }
  auto sender = detail::HttpSender::create(config);
  if (!sender) return std::unexpected(sender.error());
  spdlog::info("tracing: exporting spans of {} to {}", config.service_name, config.endpoint);
  g_exporter =
      std::make_shared<detail::BatchExporter>(std::move(config), std::move(*sender), g_counters);
  g_installed.store(true, std::memory_order_release);
  return {};
}

Result<void> init_from_env(std::string_view default_service_name) {
  auto config = exporter_config_from_env(default_service_name);
  if (!config) return std::unexpected(config.error());
  return init(std::move(*config));
}

bool force_flush(std::chrono::milliseconds timeout) {
  std::shared_ptr<detail::BatchExporter> exporter;
  {
    std::lock_guard lock(g_mutex);
    exporter = g_exporter;
  }
  return !exporter || exporter->force_flush(timeout);
}

void shutdown(std::chrono::milliseconds flush_timeout) {
  std::shared_ptr<detail::BatchExporter> exporter;
  {
    std::lock_guard lock(g_mutex);
    exporter = std::move(g_exporter);
    g_exporter.reset();
    g_installed.store(false, std::memory_order_release);
  }
  if (exporter) exporter->shutdown(flush_timeout);
}

ExporterStats stats() {
  std::shared_ptr<detail::ExportCounters> counters;
  {
    std::lock_guard lock(g_mutex);
    counters = g_counters;
  }
  ExporterStats out;
  out.exported = counters->exported.load(std::memory_order_relaxed);
  out.dropped = counters->dropped.load(std::memory_order_relaxed);
  out.failed = counters->failed.load(std::memory_order_relaxed);
  out.retried = counters->retried.load(std::memory_order_relaxed);
  return out;
}

}  // namespace aether::trace
