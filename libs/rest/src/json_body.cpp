#include "aether/rest/json_body.hpp"

#include <string>

#include "text.hpp"

namespace aether::rest {
namespace {

using nlohmann::json;

struct Refused {
  std::string detail;
  std::string field;
};

// One open object or array while parsing: the keys seen so far (objects) and
// the name it sits under in its parent, for messages.
struct Frame {
  bool object = true;
  std::string name;
  std::set<std::string, std::less<>> keys;
  std::string last_key;
};

std::string path_of(const std::vector<Frame>& frames, std::string_view leaf) {
  std::string out;
  for (std::size_t i = 1; i < frames.size(); ++i) {
    if (!out.empty() && frames[i].name != "[]") out += '.';
    out += frames[i].name;
  }
  if (!leaf.empty()) {
    if (!out.empty()) out += '.';
    out += leaf;
  }
  return out;
}

std::string_view type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    default:
      return "null";
  }
}

}  // namespace

std::expected<json, Problem> parse_json_body(std::string_view body, int max_depth) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  std::vector<Frame> frames;
  auto callback = [&](int /*depth*/, json::parse_event_t event, json& parsed) -> bool {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start: {
        Frame f;
        f.object = event == json::parse_event_t::object_start;
        if (!frames.empty()) f.name = frames.back().object ? frames.back().last_key : "[]";
        frames.push_back(std::move(f));
        if (static_cast<int>(frames.size()) > max_depth) {
          throw Refused{"body nests deeper than " + std::to_string(max_depth) + " levels",
                        path_of(frames, {})};
        }
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames.empty()) frames.pop_back();
        break;
      case json::parse_event_t::key: {
        auto& top = frames.back();
        auto key = parsed.get<std::string>();
        if (!top.keys.insert(key).second) {
          throw Refused{"duplicate key '" + key + "'", path_of(frames, key)};
        }
        top.last_key = std::move(key);
        break;
      }
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
  json doc;
  try {
    doc = json::parse(body.begin(), body.end(), callback, /*allow_exceptions=*/true,
                      /*ignore_comments=*/false);
  } catch (const Refused& r) {
    return std::unexpected(
        Problem::bad_request(r.detail, {{r.field.empty() ? "body" : r.field, r.detail}}));
  } catch (const json::parse_error& e) {
    const std::string what = e.what();
    if (what.find("UTF-8") != std::string::npos) {
      return std::unexpected(
          Problem::bad_request("body is not valid UTF-8 (at byte " + std::to_string(e.byte) + ")",
                               {{"body", "invalid UTF-8"}}));
    }
    return std::unexpected(
        Problem::bad_request("body is not valid JSON: " + what, {{"body", "malformed JSON"}}));
  } catch (const json::exception& e) {
    // e.g. out_of_range.406: a number that does not fit a double.
    return std::unexpected(
        Problem::bad_request(std::string("body holds a value out of range: ") + e.what(),
                             {{"body", "number out of range"}}));
  }
  if (!doc.is_object()) {
    return std::unexpected(
        Problem::bad_request("body must be a JSON object, got " + std::string(type_name(doc)),
                             {{"body", "must be an object"}}));
  }
  return doc;
}

std::optional<Problem> require_json_content_type(const Request& request) {
  auto ct = request.header("Content-Type");
  if (!ct) {
    if (request.body.empty()) return std::nullopt;
    return Problem::unsupported_media_type("a body needs Content-Type: application/json");
  }
  std::string_view v = *ct;
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (iequals(v, "application/json")) return std::nullopt;
  // curl's -d sends application/x-www-form-urlencoded: a body that is a JSON
  // object is taken as JSON (then strictly parsed like any other); a real
  // form body is refused with what to add.
  if (iequals(v, "application/x-www-form-urlencoded")) {
    const auto first = request.body.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && request.body[first] == '{') return std::nullopt;
    return Problem::unsupported_media_type(
        "the body must be JSON with Content-Type: application/json (got a form body; with curl "
        "add -H 'Content-Type: application/json')");
  }
  return Problem::unsupported_media_type("Content-Type must be application/json, not '" + *ct +
                                         "' (with curl add -H 'Content-Type: application/json')");
}

FieldReader::FieldReader(const json& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {}

const json* FieldReader::find(std::string_view name) {
  read_.insert(std::string(name));
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

const json* FieldReader::raw(std::string_view name) { return find(name); }

void FieldReader::add_error(std::string field, std::string message) {
  errors_.push_back({std::move(field), std::move(message)});
}

std::optional<std::string> FieldReader::string(std::string_view name, std::size_t max_len) {
  const json* v = find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    add_error(path(name), "must be a string, got " + std::string(type_name(*v)));
    return std::nullopt;
  }
  auto s = v->get<std::string>();
  if (s.size() > max_len) {
    add_error(path(name), "must be at most " + std::to_string(max_len) + " bytes");
    return std::nullopt;
  }
  return s;
}

std::optional<std::uint64_t> FieldReader::uint(std::string_view name, std::uint64_t min,
                                               std::uint64_t max) {
  const json* v = find(name);
  if (v == nullptr) return std::nullopt;
  const std::string range = "between " + std::to_string(min) + " and " + std::to_string(max);
  if (v->is_number_unsigned()) {
    auto n = v->get<std::uint64_t>();
    if (n >= min && n <= max) return n;
  } else if (v->is_number_integer() || v->is_number_float()) {
    if (v->is_number_float()) {
      add_error(path(name), "must be an integer " + range + ", got " + v->dump());
      return std::nullopt;
    }
  } else {
    add_error(path(name), "must be an integer, got " + std::string(type_name(*v)));
    return std::nullopt;
  }
  add_error(path(name), "must be an integer " + range + ", got " + v->dump());
  return std::nullopt;
}

std::optional<bool> FieldReader::boolean(std::string_view name) {
  const json* v = find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    add_error(path(name), "must be a boolean, got " + std::string(type_name(*v)));
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::vector<std::string>> FieldReader::string_list(std::string_view name,
                                                                 std::size_t max_items) {
  const json* v = find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_array()) {
    add_error(path(name), "must be an array of strings, got " + std::string(type_name(*v)));
    return std::nullopt;
  }
  if (v->size() > max_items) {
    add_error(path(name), "must have at most " + std::to_string(max_items) + " items");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    if (!item.is_string()) {
      add_error(path(name) + "[" + std::to_string(i) + "]",
                "must be a string, got " + std::string(type_name(item)));
      ok = false;
      continue;
    }
    out.push_back(item.get<std::string>());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> FieldReader::string_map(std::string_view name,
                                                                          std::size_t max_items) {
  const json* v = find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) {
    add_error(path(name), "must be an object of strings, got " + std::string(type_name(*v)));
    return std::nullopt;
  }
  if (v->size() > max_items) {
    add_error(path(name), "must have at most " + std::to_string(max_items) + " entries");
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  bool ok = true;
  for (const auto& [k, item] : v->items()) {
    if (!item.is_string()) {
      add_error(path(name) + "." + k, "must be a string, got " + std::string(type_name(item)));
      ok = false;
      continue;
    }
    out.emplace(k, item.get<std::string>());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Problem> FieldReader::finish(std::string what) {
  if (object_.is_object()) {
    for (const auto& [k, v] : object_.items()) {
      if (!read_.contains(k)) add_error(path(k), "unknown field");
    }
  }
  if (errors_.empty()) return std::nullopt;
  return Problem::unprocessable(std::move(what), errors_);
}

}  // namespace aether::rest
