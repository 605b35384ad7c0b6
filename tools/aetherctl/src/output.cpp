#include "output.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <stdexcept>

namespace aether::ctl {
namespace {

void emit(YAML::Emitter& out, const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : v.items()) {
        out << YAML::Key << key << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : v) emit(out, item);
      out << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string: {
      // Quote what YAML would otherwise read as a number, bool or null.
      const auto& s = v.get_ref<const std::string&>();
      YAML::Node probe = YAML::Load(s.empty() ? "''" : s);
      bool plain = probe.IsScalar() && probe.Tag() == "?" && probe.as<std::string>() == s;
      try {
        (void)probe.as<double>();
        plain = false;
      } catch (const YAML::Exception&) {
      }
      static const std::vector<std::string> specials = {"true", "false", "null", "yes",  "no",
                                                        "on",   "off",   "~",    "True", "False"};
      if (std::ranges::find(specials, s) != specials.end()) plain = false;
      if (plain) {
        out << s;
      } else {
        out << YAML::DoubleQuoted << s;
      }
      break;
    }
    case nlohmann::json::value_t::null:
      out << YAML::Null;
      break;
    case nlohmann::json::value_t::boolean:
      out << v.get<bool>();
      break;
    default:
      out << v.dump();
  }
}

void flatten(const nlohmann::json& v, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (v.is_object() && !v.empty()) {
    for (const auto& [key, item] : v.items()) {
      flatten(item, prefix.empty() ? key : prefix + "." + key, out);
    }
    return;
  }
  out.emplace_back(prefix, cell_text(v));
}

}  // namespace

OutputFormat parse_output_format(const std::string& name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "json") return OutputFormat::kJson;
  if (name == "yaml") return OutputFormat::kYaml;
  throw std::invalid_argument("--output: '" + name + "' is not one of table, json, yaml");
}

std::string to_yaml(const nlohmann::json& value) {
  YAML::Emitter out;
  emit(out, value);
  return std::string(out.c_str()) + "\n";
}

std::string cell_text(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.empty()) return "-";
  if (value.is_object()) {
    std::string s;
    for (const auto& [k, v] : value.items()) {
      if (!s.empty()) s += ",";
      s += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    return s;
  }
  return value.dump();
}

void print_rows(std::ostream& out, OutputFormat format, const nlohmann::json& document,
                const nlohmann::json& rows, const std::vector<Column>& columns) {
  if (format == OutputFormat::kJson) {
    out << document.dump(2) << "\n";
    return;
  }
  if (format == OutputFormat::kYaml) {
    out << to_yaml(document);
    return;
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  for (const auto& c : columns) widths.push_back(c.header.size());
  if (rows.is_array()) {
    for (const auto& row : rows) {
      std::vector<std::string> line;
      for (std::size_t i = 0; i < columns.size(); ++i) {
        nlohmann::json::json_pointer ptr(columns[i].pointer);
        std::string text = row.contains(ptr) ? cell_text(row.at(ptr)) : "-";
        widths[i] = std::max(widths[i], text.size());
        line.push_back(std::move(text));
      }
      cells.push_back(std::move(line));
    }
  }
  auto print_line = [&](const std::vector<std::string>& line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      out << line[i];
      if (i + 1 < line.size()) out << std::string(widths[i] - line[i].size() + 2, ' ');
    }
    out << "\n";
  };
  std::vector<std::string> headers;
  for (const auto& c : columns) headers.push_back(c.header);
  print_line(headers);
  for (const auto& line : cells) print_line(line);
}

void print_object(std::ostream& out, OutputFormat format, const nlohmann::json& object) {
  if (format == OutputFormat::kJson) {
    out << object.dump(2) << "\n";
    return;
  }
  if (format == OutputFormat::kYaml) {
    out << to_yaml(object);
    return;
  }
  std::vector<std::pair<std::string, std::string>> lines;
  flatten(object, "", lines);
  std::size_t width = 0;
  for (const auto& [k, v] : lines) width = std::max(width, k.size());
  for (const auto& [k, v] : lines) {
    out << k << ":" << std::string(width - k.size() + 1, ' ') << v << "\n";
  }
}

}  // namespace aether::ctl
