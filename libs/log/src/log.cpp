#include "aether/log/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>

#include "formatters.hpp"

namespace aether::log {
namespace {

struct LevelName {
  std::string_view name;
  spdlog::level::level_enum level;
};
constexpr std::array<LevelName, 7> kLevels{{
    {"trace", spdlog::level::trace},
    {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},
    {"error", spdlog::level::err},
    {"critical", spdlog::level::critical},
    {"off", spdlog::level::off},
}};

}  // namespace

Result<Format> parse_format(std::string_view text) {
  if (text == "json") return Format::kJson;
  if (text == "text") return Format::kText;
  return std::unexpected(
      Error{Errc::kInvalidFormat, "log format \"" + std::string(text) + "\" must be json or text"});
}

Result<spdlog::level::level_enum> parse_level(std::string_view text) {
  for (const auto& l : kLevels) {
    if (l.name == text) return l.level;
  }
  return std::unexpected(
      Error{Errc::kInvalidLevel, "log level \"" + std::string(text) +
                                     "\" must be one of trace, debug, info, warn, error, "
                                     "critical, off"});
}

std::string_view level_name(spdlog::level::level_enum level) {
  for (const auto& l : kLevels) {
    if (l.level == level) return l.name;
  }
  return "unknown";
}

LogOptions::LogOptions(config::Spec& spec)
    : spec_(spec),
      format_(spec.choice("AETHER_LOG_FORMAT", "json", {"json", "text"},
                          "log line format: json (one object per line) or text (for people)")),
      level_(spec.choice("AETHER_LOG_LEVEL", "info",
                         {"trace", "debug", "info", "warn", "error", "critical", "off"},
                         "lowest log level written")) {}

LogConfig LogOptions::config() const {
  // The choices above are exactly what the parsers accept, so after a successful
  // Spec::load() these cannot fail; before it they hold the defaults.
  return LogConfig{
      .service = spec_.program(),
      .format = parse_format(format_.value()).value_or(Format::kJson),
      .level = parse_level(level_.value()).value_or(spdlog::level::info),
  };
}

std::unique_ptr<spdlog::formatter> make_formatter(const LogConfig& config) {
  if (config.format == Format::kText) return detail::make_text_formatter();
  return detail::make_json_formatter(config.service);
}

void init(const LogConfig& config) {
  init(config, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

void init(const LogConfig& config, spdlog::sink_ptr sink) {
  sink->set_formatter(make_formatter(config));
  auto logger = std::make_shared<spdlog::logger>(config.service, std::move(sink));
  logger->set_level(config.level);
  // Problems should reach the output even if the process dies right after.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace aether::log
