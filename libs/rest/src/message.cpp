#include "aether/rest/message.hpp"

#include <nlohmann/json.hpp>

#include "text.hpp"

namespace aether::rest {

void HeaderList::add(std::string name, std::string value) {
  items_.emplace_back(std::move(name), std::move(value));
}

void HeaderList::set(std::string_view name, std::string value) {
  std::erase_if(items_, [&](const auto& item) { return iequals(item.first, name); });
  items_.emplace_back(std::string(name), std::move(value));
}

std::optional<std::string> HeaderList::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Request::query_params(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : query) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::string Request::param(std::string_view name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

Response Response::json(int status, const nlohmann::json& value) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  // Guest output and user labels may hold invalid UTF-8: replace, never throw.
  r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::empty(int status) {
  Response r;
  r.status = status;
  return r;
}

Response Response::streaming(int status, std::string content_type,
                             std::function<void(StreamWriter&)> produce) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", std::move(content_type));
  r.stream = std::move(produce);
  return r;
}

}  // namespace aether::rest
