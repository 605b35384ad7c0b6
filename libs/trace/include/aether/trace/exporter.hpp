// Export configuration and the process-wide OTLP/HTTP exporter.
//
// A service calls init_from_env("<service>") once at start-up (after parsing
// its flags) and shutdown(timeout) once before exit. Between the two, every
// sampled Span that ends is queued and shipped by one background thread.
// With no endpoint configured (or OTEL_SDK_DISABLED=true) nothing is exported,
// but spans are still created and propagated.
//
// Thread ownership: init/shutdown from one thread (main); stats(),
// force_flush() and span export from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aether/trace/error.hpp"
#include "aether/trace/sampler.hpp"

namespace aether::trace {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Retry policy for retryable failures (HTTP 429/502/503/504 and connection
// errors). Not set from the environment: the defaults suit production, tests
// shorten them.
struct RetryPolicy {
  int max_attempts = 5;  // including the first
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
  std::chrono::milliseconds max_retry_after{60000};  // cap on a server's Retry-After
};

struct ExporterConfig {
  std::string service_name;  // resource attribute service.name
  std::string endpoint;      // full URL of the traces endpoint; empty = export nothing
  KeyValues headers;         // extra HTTP headers (e.g. authorization)
  std::chrono::milliseconds timeout{10000};  // per HTTP request
  SamplerConfig sampler;
  std::size_t max_queue_size = 2048;
  std::chrono::milliseconds schedule_delay{5000};
  std::size_t max_export_batch_size = 512;
  KeyValues resource_attributes;  // besides service.name
  bool disabled = false;          // OTEL_SDK_DISABLED
  RetryPolicy retry;
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
[[nodiscard]] std::optional<std::string> process_env(std::string_view name);

// Reads the OTEL_* variables (see README). An empty variable counts as unset.
// A bad value is an Errc::kInvalidConfig naming the variable and the rule.
[[nodiscard]] Result<ExporterConfig> exporter_config_from_env(std::string_view default_service_name,
                                                              const EnvLookup& env = process_env);

// The effective settings as OTEL_* lines for --check-config, with header
// values masked (they usually carry credentials).
[[nodiscard]] std::string describe(const ExporterConfig& config);

// Installs the sampler and (when an endpoint is set) starts the exporter
// thread. Errc::kAlreadyRunning if an exporter is installed.
[[nodiscard]] Result<void> init(ExporterConfig config);
[[nodiscard]] Result<void> init_from_env(std::string_view default_service_name);

// Exports what is queued, waiting at most `timeout`. True if the queue was
// drained and every batch finished (exported or failed) in time.
bool force_flush(std::chrono::milliseconds timeout);

// Flushes (bounded by flush_timeout), stops the thread and uninstalls the
// exporter; spans queued but not sent in time count as dropped. Idempotent.
void shutdown(std::chrono::milliseconds flush_timeout);

struct ExporterStats {
  std::uint64_t exported = 0;  // spans the collector accepted
  std::uint64_t dropped = 0;   // spans refused by a full queue or left at shutdown
  std::uint64_t failed = 0;    // spans in batches that failed after all attempts
  std::uint64_t retried = 0;   // retry attempts (HTTP requests after the first)
};
// Counters since the last init().
[[nodiscard]] ExporterStats stats();

}  // namespace aether::trace
