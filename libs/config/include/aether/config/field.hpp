// Field: one environment variable of a Spec (see config.hpp).
//
// Field is the type-erased part Spec and Cli work with (name, description,
// texts for --help and --check-config); BasicField<T> holds the typed value,
// the default and the rules. Rules are checked on the final value, defaults
// included, so a bad default is reported like a bad variable.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aether::config {

class Field {
 public:
  Field(std::string name, std::string description)
      : name_(std::move(name)), description_(std::move(description)) {}
  virtual ~Field() = default;
  Field(const Field&) = delete;
  Field& operator=(const Field&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& description() const { return description_; }
  [[nodiscard]] bool is_secret() const { return secret_; }
  // True when the last load() took the value from the environment.
  [[nodiscard]] bool from_env() const { return from_env_; }
  // e.g. "integer", "duration", "one of json|text".
  [[nodiscard]] virtual std::string type_name() const = 0;
  // Texts for people: masked when the field is secret.
  [[nodiscard]] std::string default_text() const;
  [[nodiscard]] std::string value_text() const;

  // Takes `raw` (nullopt: not set, use the default), then runs the rules.
  // Returns the problems, each "NAME=value: rule".
  [[nodiscard]] std::vector<std::string> load(const std::optional<std::string>& raw);

 protected:
  [[nodiscard]] virtual std::string raw_default_text() const = 0;
  [[nodiscard]] virtual std::string raw_value_text() const = 0;
  // Parses raw into the value; returns the broken rule on failure.
  [[nodiscard]] virtual std::optional<std::string> assign(std::string_view raw) = 0;
  virtual void assign_default() = 0;
  [[nodiscard]] virtual std::vector<std::string> broken_rules() const = 0;

  bool secret_ = false;

 private:
  [[nodiscard]] std::string shown(std::string_view raw) const;

  std::string name_;
  std::string description_;
  bool from_env_ = false;
};

template <class T, class Derived>
class BasicField : public Field {
 public:
  // A rule returns what is wrong ("must be a power of two"), or nullopt when the value is fine.
  using Rule = std::function<std::optional<std::string>(const T&)>;

  BasicField(std::string name, T def, std::string description)
      : Field(std::move(name), std::move(description)), default_(def), value_(std::move(def)) {}

  [[nodiscard]] const T& value() const { return value_; }
  [[nodiscard]] const T& operator*() const { return value_; }
  [[nodiscard]] const T* operator->() const { return &value_; }
  [[nodiscard]] const T& default_value() const { return default_; }

  // Masks the value in --help, --check-config and error messages.
  Derived& secret() {
    secret_ = true;
    return self();
  }
  // Adds a custom rule.
  Derived& check(Rule rule) {
    rules_.push_back(std::move(rule));
    return self();
  }

 protected:
  [[nodiscard]] virtual std::optional<std::string> parse(std::string_view raw, T& out) const = 0;
  [[nodiscard]] virtual std::string format(const T& v) const = 0;

  [[nodiscard]] std::string raw_default_text() const override { return format(default_); }
  [[nodiscard]] std::string raw_value_text() const override { return format(value_); }

  Derived& self() { return static_cast<Derived&>(*this); }

 private:
  [[nodiscard]] std::optional<std::string> assign(std::string_view raw) override {
    T parsed{};
    if (auto problem = parse(raw, parsed)) {
      value_ = default_;
      return problem;
    }
    value_ = std::move(parsed);
    return std::nullopt;
  }
  void assign_default() override { value_ = default_; }
  [[nodiscard]] std::vector<std::string> broken_rules() const override {
    std::vector<std::string> out;
    for (const auto& rule : rules_) {
      // A throwing custom rule is reported, not allowed to abort start-up.
      try {
        if (auto problem = rule(value_)) out.push_back(std::move(*problem));
      } catch (const std::exception& e) {
        out.push_back(std::string("check failed: ") + e.what());
      }
    }
    return out;
  }

  T default_;
  T value_;
  std::vector<Rule> rules_;
};

}  // namespace aether::config
