// The runner's configuration: environment first (the contract), flags on top.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "errors.hpp"

namespace aether::migrate {

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

[[nodiscard]] EnvLookup process_env();

struct Config {
  std::string database_url = "postgresql://aether:aether@127.0.0.1:5432/aether";
  std::string nats_url = "nats://127.0.0.1:4222";
  std::chrono::milliseconds lock_timeout{60'000};        // AETHER_MIGRATE_LOCK_TIMEOUT
  std::chrono::milliseconds pg_lock_timeout{10'000};     // AETHER_MIGRATE_PG_LOCK_TIMEOUT
  std::chrono::milliseconds statement_timeout{600'000};  // AETHER_MIGRATE_STATEMENT_TIMEOUT
  std::chrono::milliseconds connect_timeout{10'000};     // AETHER_MIGRATE_CONNECT_TIMEOUT
  std::chrono::milliseconds publish_timeout{30'000};     // AETHER_MIGRATE_PUBLISH_TIMEOUT
  bool publish = true;                                   // AETHER_MIGRATE_PUBLISH=on|off
  std::string dir;                                       // AETHER_MIGRATE_DIR; empty: embedded
  std::string applied_by;  // POD_NAME, else HOSTNAME, else gethostname()
};

// "500ms", "60s", "2m", "1h", "0" (none). The error names `field` and the rule.
[[nodiscard]] Result<std::chrono::milliseconds> parse_duration(std::string_view field,
                                                               std::string_view text);

[[nodiscard]] Result<Config> config_from_env(const EnvLookup& env);

// Effective configuration, one `NAME=value` per line, secrets masked.
[[nodiscard]] std::string describe(const Config& config);

}  // namespace aether::migrate
