#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include <unistd.h>  // environ

#include "aether/config/config.hpp"

namespace aether::config {

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

EnvLookup map_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    if (auto it = vars.find(name); it != vars.end()) return it->second;
    return std::nullopt;
  };
}

std::vector<std::string> process_env_names() {
  std::vector<std::string> names;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    names.emplace_back(entry.substr(0, entry.find('=')));
  }
  return names;
}

Spec::Spec(std::string program, std::string description)
    : program_(std::move(program)), description_(std::move(description)) {}

template <class F, class... Args>
F& Spec::add(Args&&... args) {
  auto field = std::make_unique<F>(std::forward<Args>(args)...);
  // Declaring a variable twice is a programming error caught at start-up (and by tests).
  if (find(field->name()) != nullptr) {
    throw std::logic_error("config variable declared twice: " + field->name());
  }
  F& ref = *field;
  fields_.push_back(std::move(field));
  return ref;
}

StringField& Spec::string(std::string name, std::string def, std::string description) {
  return add<StringField>(std::move(name), std::move(def), std::move(description));
}
IntField& Spec::integer(std::string name, std::int64_t def, std::string description) {
  return add<IntField>(std::move(name), def, std::move(description));
}
BoolField& Spec::boolean(std::string name, bool def, std::string description) {
  return add<BoolField>(std::move(name), def, std::move(description));
}
DurationField& Spec::duration(std::string name, Duration def, std::string description) {
  return add<DurationField>(std::move(name), def, std::move(description));
}
SizeField& Spec::size(std::string name, std::uint64_t def, std::string description) {
  return add<SizeField>(std::move(name), def, std::move(description));
}
ListField& Spec::list(std::string name, std::vector<std::string> def, std::string description) {
  return add<ListField>(std::move(name), std::move(def), std::move(description));
}
ChoiceField& Spec::choice(std::string name, std::string def, std::vector<std::string> choices,
                          std::string description) {
  return add<ChoiceField>(std::move(name), std::move(def), std::move(choices),
                          std::move(description));
}

Result<void> Spec::load(const EnvLookup& env) {
  std::vector<std::string> problems;
  for (auto& field : fields_) {
    auto found = field->load(env(field->name()));
    problems.insert(problems.end(), std::make_move_iterator(found.begin()),
                    std::make_move_iterator(found.end()));
  }
  if (problems.empty()) return {};
  std::string message;
  for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
  return std::unexpected(Error{Errc::kInvalidValue, std::move(message), std::move(problems)});
}

const Field* Spec::find(std::string_view name) const {
  auto it = std::find_if(fields_.begin(), fields_.end(),
                         [&](const auto& f) { return f->name() == name; });
  return it == fields_.end() ? nullptr : it->get();
}

std::vector<EffectiveEntry> Spec::effective() const {
  std::vector<EffectiveEntry> out;
  out.reserve(fields_.size());
  for (const auto& f : fields_) out.push_back({f->name(), f->value_text(), f->from_env()});
  return out;
}

std::vector<std::string> Spec::unread(const std::vector<std::string>& set_names,
                                      std::string_view prefix) const {
  std::vector<std::string> out;
  for (const auto& name : set_names) {
    if (name.starts_with(prefix) && find(name) == nullptr) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace aether::config
