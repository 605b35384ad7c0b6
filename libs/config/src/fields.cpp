// Parsing, formatting and built-in rules of the typed fields.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "aether/config/config.hpp"
#include "aether/config/text.hpp"
#include "aether/config/units.hpp"
#include "aether/config/url.hpp"

namespace aether::config {
namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

}  // namespace

// --- string ---------------------------------------------------------------

std::optional<std::string> StringField::parse(std::string_view raw, std::string& out) const {
  out = std::string(raw);
  return std::nullopt;
}

StringField& StringField::non_empty() {
  return check([](const std::string& v) -> std::optional<std::string> {
    if (v.empty()) return "must not be empty";
    return std::nullopt;
  });
}

StringField& StringField::url(std::vector<std::string> schemes) {
  return check(
      [schemes = std::move(schemes)](const std::string& v) { return url_problem(v, schemes); });
}

StringField& StringField::url_list(std::vector<std::string> schemes) {
  return check([schemes = std::move(schemes)](const std::string& v) {
    return url_list_problem(v, schemes);
  });
}

// --- integer --------------------------------------------------------------

std::optional<std::string> IntField::parse(std::string_view raw, std::int64_t& out) const {
  const char* end = raw.data() + raw.size();
  auto [ptr, ec] = std::from_chars(raw.data(), end, out);
  if (raw.empty() || ptr != end || ec == std::errc::invalid_argument) {
    return "must be an integer";
  }
  if (ec == std::errc::result_out_of_range) return "must be a 64-bit integer";
  return std::nullopt;
}

std::string IntField::format(const std::int64_t& v) const { return std::to_string(v); }

IntField& IntField::range(std::int64_t min, std::int64_t max) {
  return check([min, max](const std::int64_t& v) -> std::optional<std::string> {
    if (v < min || v > max) {
      return "must be between " + std::to_string(min) + " and " + std::to_string(max);
    }
    return std::nullopt;
  });
}

// --- boolean --------------------------------------------------------------

std::optional<std::string> BoolField::parse(std::string_view raw, bool& out) const {
  const std::string v = lower(raw);
  if (v == "true" || v == "1" || v == "yes" || v == "on") {
    out = true;
  } else if (v == "false" || v == "0" || v == "no" || v == "off") {
    out = false;
  } else {
    return "must be one of true, false, 1, 0, yes, no, on, off";
  }
  return std::nullopt;
}

// --- duration -------------------------------------------------------------

std::optional<std::string> DurationField::parse(std::string_view raw, Duration& out) const {
  return duration_problem(raw, out);
}

std::string DurationField::format(const Duration& v) const { return format_duration(v); }

DurationField& DurationField::range(Duration min, Duration max) {
  return check([this, min, max](const Duration& v) -> std::optional<std::string> {
    if (v < min || v > max) return "must be between " + format(min) + " and " + format(max);
    return std::nullopt;
  });
}

// --- size -----------------------------------------------------------------

std::optional<std::string> SizeField::parse(std::string_view raw, std::uint64_t& out) const {
  return size_problem(raw, out);
}

std::string SizeField::format(const std::uint64_t& v) const { return format_size(v); }

SizeField& SizeField::range(std::uint64_t min, std::uint64_t max) {
  return check([this, min, max](const std::uint64_t& v) -> std::optional<std::string> {
    if (v < min || v > max) return "must be between " + format(min) + " and " + format(max);
    return std::nullopt;
  });
}

// --- list -----------------------------------------------------------------

std::optional<std::string> ListField::parse(std::string_view raw,
                                            std::vector<std::string>& out) const {
  out.clear();
  if (trim(raw).empty()) return std::nullopt;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = raw.find(',', start);
    std::string_view item =
        trim(raw.substr(start, comma == std::string_view::npos ? raw.npos : comma - start));
    if (item.empty()) {
      return "item " + std::to_string(out.size() + 1) + " is empty (comma-separated list)";
    }
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return std::nullopt;
}

std::string ListField::format(const std::vector<std::string>& v) const { return join(v, ","); }

ListField& ListField::non_empty() {
  return check([](const std::vector<std::string>& v) -> std::optional<std::string> {
    if (v.empty()) return "must list at least one item";
    return std::nullopt;
  });
}

ListField& ListField::url(std::vector<std::string> schemes) {
  return check([schemes = std::move(schemes)](
                   const std::vector<std::string>& v) -> std::optional<std::string> {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (auto problem = url_problem(v[i], schemes)) {
        return "item " + std::to_string(i + 1) + " " + *problem;
      }
    }
    return std::nullopt;
  });
}

// --- choice ---------------------------------------------------------------

ChoiceField::ChoiceField(std::string name, std::string def, std::vector<std::string> choices,
                         std::string description)
    : BasicField(std::move(name), std::move(def), std::move(description)),
      choices_(std::move(choices)) {
  // The default goes through the same check on load(), so a bad default is reported.
  check([this](const std::string& v) -> std::optional<std::string> {
    if (std::find(choices_.begin(), choices_.end(), v) != choices_.end()) return std::nullopt;
    return "must be one of " + join(choices_, ", ");
  });
}

std::string ChoiceField::type_name() const { return "one of " + join(choices_, "|"); }

std::optional<std::string> ChoiceField::parse(std::string_view raw, std::string& out) const {
  out = std::string(raw);
  return std::nullopt;
}

}  // namespace aether::config
