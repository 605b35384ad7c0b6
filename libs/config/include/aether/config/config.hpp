// Environment-driven configuration with typed fields, defaults and rules.
//
//   aether::config::Spec spec("aether-migration-runner", "applies the PostgreSQL schema");
//   auto& db   = spec.string("DATABASE_URL", "postgresql://...", "PostgreSQL URL")
//                    .secret().url({"postgres", "postgresql"});
//   auto& port = spec.integer("AETHER_ADMIN_PORT", 9090, "admin HTTP port").range(0, 65535);
//   if (auto loaded = spec.load(); !loaded) { std::cerr << loaded.error().message; }
//   use(db.value(), port.value());
//
// Lifecycle: declare every field on the Spec at start-up (the returned references
// stay valid as long as the Spec), then load() once. load() reads each variable,
// parses it, runs every rule on the value (defaults included) and collects ALL
// problems. Thread ownership: declare and load on one thread; after load() the
// fields are read-only and may be read from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aether/config/error.hpp"
#include "aether/config/field.hpp"
#include "aether/config/units.hpp"

namespace aether::config {

// Looks up one environment variable; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
[[nodiscard]] EnvLookup process_env();
// A fixed map, for tests and tools.
[[nodiscard]] EnvLookup map_env(std::map<std::string, std::string> vars);
// Names of every variable set in the process environment.
[[nodiscard]] std::vector<std::string> process_env_names();

class StringField : public BasicField<std::string, StringField> {
 public:
  using BasicField::BasicField;
  [[nodiscard]] std::string type_name() const override { return "string"; }
  StringField& non_empty();
  // Must be scheme://host[:port]... with one of `schemes` (any scheme when empty).
  StringField& url(std::vector<std::string> schemes);
  // A comma-separated list of such URLs (e.g. NATS_URL naming a cluster's servers).
  StringField& url_list(std::vector<std::string> schemes);

 protected:
  [[nodiscard]] std::optional<std::string> parse(std::string_view raw,
                                                 std::string& out) const override;
  [[nodiscard]] std::string format(const std::string& v) const override { return v; }
};

class IntField : public BasicField<std::int64_t, IntField> {
 public:
  using BasicField::BasicField;
  [[nodiscard]] std::string type_name() const override { return "integer"; }
  IntField& range(std::int64_t min, std::int64_t max);

 protected:
  [[nodiscard]] std::optional<std::string> parse(std::string_view raw,
                                                 std::int64_t& out) const override;
  [[nodiscard]] std::string format(const std::int64_t& v) const override;
};

// Accepts true/false/1/0/yes/no/on/off, any case.
class BoolField : public BasicField<bool, BoolField> {
 public:
  using BasicField::BasicField;
  [[nodiscard]] std::string type_name() const override { return "boolean"; }

 protected:
  [[nodiscard]] std::optional<std::string> parse(std::string_view raw, bool& out) const override;
  [[nodiscard]] std::string format(const bool& v) const override { return v ? "true" : "false"; }
};

// "500ms", "5s", "2m", "1h", or sums such as "1m30s"; "0" alone means zero.
class DurationField : public BasicField<Duration, DurationField> {
 public:
  using BasicField::BasicField;
  [[nodiscard]] std::string type_name() const override { return "duration"; }
  DurationField& range(Duration min, Duration max);

 protected:
  [[nodiscard]] std::optional<std::string> parse(std::string_view raw,
                                                 Duration& out) const override;
  [[nodiscard]] std::string format(const Duration& v) const override;
};

// Bytes: "4096", "512B", "64KiB", "64MiB", "1GiB", "1TiB" (1024-based) or "10KB",
// "10MB", "1GB", "1TB" (1000-based).
class SizeField : public BasicField<std::uint64_t, SizeField> {
 public:
  using BasicField::BasicField;
  [[nodiscard]] std::string type_name() const override { return "size"; }
  SizeField& range(std::uint64_t min, std::uint64_t max);

 protected:
  [[nodiscard]] std::optional<std::string> parse(std::string_view raw,
                                                 std::uint64_t& out) const override;
  [[nodiscard]] std::string format(const std::uint64_t& v) const override;
};

// Comma-separated; spaces around items are trimmed; an empty value is an empty list.
class ListField : public BasicField<std::vector<std::string>, ListField> {
 public:
  using BasicField::BasicField;
  [[nodiscard]] std::string type_name() const override { return "list"; }
  ListField& non_empty();
  // Every item must be a URL with one of `schemes` (any scheme when empty).
  ListField& url(std::vector<std::string> schemes);

 protected:
  [[nodiscard]] std::optional<std::string> parse(std::string_view raw,
                                                 std::vector<std::string>& out) const override;
  [[nodiscard]] std::string format(const std::vector<std::string>& v) const override;
};

// One of a fixed set of strings (exact match).
class ChoiceField : public BasicField<std::string, ChoiceField> {
 public:
  ChoiceField(std::string name, std::string def, std::vector<std::string> choices,
              std::string description);
  [[nodiscard]] const std::vector<std::string>& choices() const { return choices_; }
  [[nodiscard]] std::string type_name() const override;

 protected:
  [[nodiscard]] std::optional<std::string> parse(std::string_view raw,
                                                 std::string& out) const override;
  [[nodiscard]] std::string format(const std::string& v) const override { return v; }

 private:
  std::vector<std::string> choices_;
};

// One line of the effective configuration.
struct EffectiveEntry {
  std::string name;
  std::string value;  // masked when the field is secret
  bool from_env = false;
};

// The set of variables one binary reads. Not copyable: fields refer into it.
class Spec {
 public:
  Spec(std::string program, std::string description);
  Spec(const Spec&) = delete;
  Spec& operator=(const Spec&) = delete;

  StringField& string(std::string name, std::string def, std::string description);
  IntField& integer(std::string name, std::int64_t def, std::string description);
  BoolField& boolean(std::string name, bool def, std::string description);
  DurationField& duration(std::string name, Duration def, std::string description);
  SizeField& size(std::string name, std::uint64_t def, std::string description);
  ListField& list(std::string name, std::vector<std::string> def, std::string description);
  ChoiceField& choice(std::string name, std::string def, std::vector<std::string> choices,
                      std::string description);

  // Reads every field from `env`. On failure the error lists every problem, one per line;
  // fields that were fine still hold their values.
  [[nodiscard]] Result<void> load(const EnvLookup& env = process_env());

  [[nodiscard]] const std::string& program() const { return program_; }
  [[nodiscard]] const std::string& description() const { return description_; }
  [[nodiscard]] const std::vector<std::unique_ptr<Field>>& fields() const { return fields_; }
  [[nodiscard]] const Field* find(std::string_view name) const;
  // Every field with its current value, secrets masked, in declaration order.
  [[nodiscard]] std::vector<EffectiveEntry> effective() const;
  // Of `set_names`, those starting with `prefix` that no field reads: likely typos
  // (AETHER_LOG_FORAMT) that would otherwise leave a default in place unnoticed.
  [[nodiscard]] std::vector<std::string> unread(const std::vector<std::string>& set_names,
                                                std::string_view prefix = "AETHER_") const;

 private:
  template <class F, class... Args>
  F& add(Args&&... args);

  std::string program_;
  std::string description_;
  std::vector<std::unique_ptr<Field>> fields_;
};

}  // namespace aether::config
