// The runner's configuration: environment variables declared on an
// aether::config::Spec (the contract: DATABASE_URL, NATS_URL, AETHER_MIGRATE_*),
// with command-line flags on top.
//
// ConfigFields declares the variables on a Spec at start-up; after the Spec
// is loaded, config() gives a plain Config. Main thread only.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "aether/config/config.hpp"
#include "errors.hpp"

namespace aether::migrate {

struct Config {
  std::string database_url;
  std::string nats_url;
  std::chrono::milliseconds lock_timeout{60'000};        // wait for another runner's lock
  std::chrono::milliseconds pg_lock_timeout{10'000};     // SET LOCAL lock_timeout
  std::chrono::milliseconds statement_timeout{600'000};  // SET LOCAL statement_timeout
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds publish_timeout{30'000};  // retries of the event, in total
  bool publish = true;
  std::string dir;         // empty: the embedded migrations
  std::string applied_by;  // POD_NAME, else HOSTNAME, else gethostname()
};

class ConfigFields {
 public:
  explicit ConfigFields(config::Spec& spec);
  // After spec.load() succeeded.
  [[nodiscard]] Config config() const;

 private:
  config::StringField& database_url_;
  config::StringField& nats_url_;
  config::DurationField& lock_timeout_;
  config::DurationField& pg_lock_timeout_;
  config::DurationField& statement_timeout_;
  config::DurationField& connect_timeout_;
  config::DurationField& publish_timeout_;
  config::BoolField& publish_;
  config::StringField& dir_;
  config::StringField& pod_name_;
  config::StringField& hostname_;
};

// For flags: "500ms", "60s", "2m", "1h", "0" (none). The error names `field`.
[[nodiscard]] Result<std::chrono::milliseconds> parse_duration(std::string_view field,
                                                               std::string_view text);

}  // namespace aether::migrate
