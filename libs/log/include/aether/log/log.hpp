// Configures spdlog's default logger the way every Aether process logs.
//
//   aether::config::Spec spec("aether-api", "REST API");
//   aether::log::LogOptions log_options(spec);     // AETHER_LOG_FORMAT, AETHER_LOG_LEVEL
//   ... cli.parse(argc, argv) ...
//   aether::log::init(log_options.config());
//   spdlog::info("listening on {}", port);
//
// JSON (default): one object per line on stderr,
//   {"ts":"2026-11-23T11:29:59.123Z","level":"info","service":"aether-api","msg":"...",
//    "trace_id":"<32 hex>","span_id":"<16 hex>"}
// trace_id/span_id appear only while a span is active on the logging thread
// (aether::trace::current_context()). Invalid UTF-8 in messages becomes U+FFFD, so
// every line is valid JSON. Text: "2026-11-23T11:29:59.123Z info  aether-api: msg trace_id=..".
//
// Lifecycle/threads: call init() once on the main thread at start-up, before other
// threads log. The installed logger is synchronous (trace ids are read on the
// calling thread), so spdlog::info() etc. are safe from any thread.
#pragma once

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "aether/config/config.hpp"

namespace aether::log {

enum class Errc { kInvalidFormat = 1, kInvalidLevel };
struct Error {
  Errc code;
  std::string message;
};
template <class T>
using Result = std::expected<T, Error>;

enum class Format { kJson, kText };

struct LogConfig {
  std::string service;  // "service" field / text prefix, e.g. "aether-api"
  Format format = Format::kJson;
  spdlog::level::level_enum level = spdlog::level::info;
};

// "json" | "text".
[[nodiscard]] Result<Format> parse_format(std::string_view text);
// "trace" | "debug" | "info" | "warn" | "error" | "critical" | "off".
[[nodiscard]] Result<spdlog::level::level_enum> parse_level(std::string_view text);
// The name used in JSON lines and accepted by parse_level ("warn", not "warning").
[[nodiscard]] std::string_view level_name(spdlog::level::level_enum level);

// Declares AETHER_LOG_FORMAT and AETHER_LOG_LEVEL on a Spec; after the Spec is
// loaded, config() gives the LogConfig (service = the Spec's program name).
class LogOptions {
 public:
  explicit LogOptions(config::Spec& spec);
  [[nodiscard]] LogConfig config() const;

 private:
  const config::Spec& spec_;
  const config::ChoiceField& format_;
  const config::ChoiceField& level_;
};

// The formatter for `config.format` (exposed for custom sinks).
[[nodiscard]] std::unique_ptr<spdlog::formatter> make_formatter(const LogConfig& config);

// Installs a synchronous default logger named after the service, writing to stderr.
void init(const LogConfig& config);
// Same, writing to `sink` instead (tests use CaptureSink from capture_sink.hpp).
void init(const LogConfig& config, spdlog::sink_ptr sink);

}  // namespace aether::log
