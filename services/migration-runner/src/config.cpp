#include "config.hpp"

#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdlib>

#include "aether/schema/pg.hpp"

namespace aether::migrate {

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
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
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m" || unit == "min")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit.empty() && value == 0)
    factor = 1;
  else
    return bad();
  if (value > (std::int64_t{1} << 40) / factor) return bad();
  return std::chrono::milliseconds(value * factor);
}

Result<Config> config_from_env(const EnvLookup& env) {
  Config c;
  if (auto v = env("DATABASE_URL")) {
    if (v->empty()) return make_error(Errc::kBadConfig, "DATABASE_URL is set but empty");
    c.database_url = *v;
  }
  if (auto v = env("NATS_URL")) {
    if (v->empty()) return make_error(Errc::kBadConfig, "NATS_URL is set but empty");
    c.nats_url = *v;
  }
  struct DurationVar {
    const char* name;
    std::chrono::milliseconds* target;
  };
  const std::array<DurationVar, 5> durations = {{
      {"AETHER_MIGRATE_LOCK_TIMEOUT", &c.lock_timeout},
      {"AETHER_MIGRATE_PG_LOCK_TIMEOUT", &c.pg_lock_timeout},
      {"AETHER_MIGRATE_STATEMENT_TIMEOUT", &c.statement_timeout},
      {"AETHER_MIGRATE_CONNECT_TIMEOUT", &c.connect_timeout},
      {"AETHER_MIGRATE_PUBLISH_TIMEOUT", &c.publish_timeout},
  }};
  for (const auto& d : durations) {
    if (auto v = env(d.name)) {
      auto parsed = parse_duration(d.name, *v);
      if (!parsed) return std::unexpected(parsed.error());
      *d.target = *parsed;
    }
  }
  if (c.connect_timeout < std::chrono::seconds(1)) {
    return make_error(Errc::kBadConfig, "AETHER_MIGRATE_CONNECT_TIMEOUT must be at least 1s");
  }
  if (auto v = env("AETHER_MIGRATE_PUBLISH")) {
    if (*v == "on" || *v == "true" || *v == "1")
      c.publish = true;
    else if (*v == "off" || *v == "false" || *v == "0")
      c.publish = false;
    else
      return make_error(Errc::kBadConfig,
                        "AETHER_MIGRATE_PUBLISH=\"" + *v + "\": expected on or off");
  }
  if (auto v = env("AETHER_MIGRATE_DIR")) c.dir = *v;
  if (auto v = env("POD_NAME"); v && !v->empty()) {
    c.applied_by = *v;
  } else if (auto h = env("HOSTNAME"); h && !h->empty()) {
    c.applied_by = *h;
  } else {
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) == 0) c.applied_by = host.data();
    if (c.applied_by.empty()) c.applied_by = "unknown-host";
  }
  return c;
}

std::string describe(const Config& c) {
  auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; };
  return "DATABASE_URL=" + schema::mask_url(c.database_url) + "\n" +
         "NATS_URL=" + schema::mask_url(c.nats_url) + "\n" +
         "AETHER_MIGRATE_LOCK_TIMEOUT=" + ms(c.lock_timeout) + "\n" +
         "AETHER_MIGRATE_PG_LOCK_TIMEOUT=" + ms(c.pg_lock_timeout) + "\n" +
         "AETHER_MIGRATE_STATEMENT_TIMEOUT=" + ms(c.statement_timeout) + "\n" +
         "AETHER_MIGRATE_CONNECT_TIMEOUT=" + ms(c.connect_timeout) + "\n" +
         "AETHER_MIGRATE_PUBLISH=" + (c.publish ? "on" : "off") + "\n" +
         "AETHER_MIGRATE_PUBLISH_TIMEOUT=" + ms(c.publish_timeout) + "\n" +
         "AETHER_MIGRATE_DIR=" + (c.dir.empty() ? "(embedded migrations)" : c.dir) + "\n" +
         "applied_by=" + c.applied_by + "\n";
}

}  // namespace aether::migrate
