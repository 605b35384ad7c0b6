#include "config.hpp"

#include <unistd.h>

#include <array>
#include <charconv>

namespace aether::migrate {

using namespace std::chrono_literals;

ConfigFields::ConfigFields(config::Spec& spec)
    : database_url_(spec.string("DATABASE_URL", "postgresql://aether:aether@127.0.0.1:5432/aether",
                                "PostgreSQL to migrate")
                        .secret()
                        .url({"postgres", "postgresql"})),
      nats_url_(
          spec.string("NATS_URL", "nats://127.0.0.1:4222", "NATS for aether.evt.schema.migrated")
              .secret()
              .non_empty()),
      lock_timeout_(spec.duration("AETHER_MIGRATE_LOCK_TIMEOUT", 60s,
                                  "how long to wait for another runner's advisory lock "
                                  "(--lock-timeout)")
                        .range(0ms, 24h)),
      pg_lock_timeout_(spec.duration("AETHER_MIGRATE_PG_LOCK_TIMEOUT", 10s,
                                     "lock_timeout of migration SQL: give up instead of "
                                     "queueing traffic behind a blocked ALTER (0: none)")
                           .range(0ms, 24h)),
      statement_timeout_(spec.duration("AETHER_MIGRATE_STATEMENT_TIMEOUT", 10min,
                                       "statement_timeout of migration SQL (0: none)")
                             .range(0ms, 24h)),
      connect_timeout_(
          spec.duration("AETHER_MIGRATE_CONNECT_TIMEOUT", 10s, "PostgreSQL connect timeout")
              .range(1s, 10min)),
      publish_timeout_(spec.duration("AETHER_MIGRATE_PUBLISH_TIMEOUT", 30s,
                                     "total time to retry publishing the event")
                           .range(0ms, 1h)),
      publish_(spec.boolean("AETHER_MIGRATE_PUBLISH", true,
                            "publish aether.evt.schema.migrated after applying")),
      dir_(spec.string("AETHER_MIGRATE_DIR", "",
                       "read migrations from this directory instead of the embedded set")),
      pod_name_(spec.string("POD_NAME", "", "recorded as applied_by (Kubernetes downward API)")),
      hostname_(spec.string("HOSTNAME", "", "recorded as applied_by when POD_NAME is unset")) {}

Config ConfigFields::config() const {
  Config c;
  c.database_url = database_url_.value();
  c.nats_url = nats_url_.value();
  c.lock_timeout = lock_timeout_.value();
  c.pg_lock_timeout = pg_lock_timeout_.value();
  c.statement_timeout = statement_timeout_.value();
  c.connect_timeout = connect_timeout_.value();
  c.publish_timeout = publish_timeout_.value();
  c.publish = publish_.value();
  c.dir = dir_.value();
  if (!pod_name_.value().empty()) {
    c.applied_by = pod_name_.value();
  } else if (!hostname_.value().empty()) {
    c.applied_by = hostname_.value();
  } else {
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) == 0) c.applied_by = host.data();
    if (c.applied_by.empty()) c.applied_by = "unknown-host";
  }
  return c;
}

Result<std::chrono::milliseconds> parse_duration(std::string_view field, std::string_view text) {
  auto bad = [&] {
    return make_error(Errc::kBadConfig, std::string(field) + "=\"" + std::string(text) +
                                            "\": expected a duration like 500ms, 30s, 5m, 1h "
                                            "(or 0 for none)");
  };
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) return bad();
  std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  std::int64_t factor = 0;
  if (unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "m" || unit == "min") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else if (unit.empty() && value == 0) {
    factor = 1;
  } else {
    return bad();
  }
  if (value > (std::int64_t{1} << 40) / factor) return bad();
  return std::chrono::milliseconds(value * factor);
}

}  // namespace aether::migrate
