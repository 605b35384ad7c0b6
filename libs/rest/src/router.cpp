#include "aether/rest/router.hpp"

#include <stdexcept>

namespace aether::rest {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// How well a route fits: literal matches count more than parameters, so the
// most specific route wins. -1: no match.
int score(const Route& route, const std::vector<std::string_view>& parts) {
  if (route.segments.size() != parts.size()) return -1;
  int s = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& seg = route.segments[i];
    if (is_param(seg)) {
      if (parts[i].empty()) return -1;
      s += 1;
    } else if (seg == parts[i]) {
      s += 2;
    } else {
      return -1;
    }
  }
  return s;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  auto route = std::make_unique<Route>();
  for (auto seg : split(pattern)) {
    if (seg.find_first_of("{}") != std::string_view::npos && !is_param(seg)) {
      throw std::invalid_argument("malformed route segment '" + std::string(seg) + "' in " +
                                  pattern);
    }
    route->segments.emplace_back(seg);
  }
  auto shape = [](const std::vector<std::string>& segments) {
    std::vector<std::string> out;
    for (const auto& s : segments) out.push_back(is_param(s) ? "{}" : s);
    return out;
  };
  for (const auto& r : routes_) {
    if (r->method == method && shape(r->segments) == shape(route->segments)) {
      throw std::invalid_argument("duplicate route " + method + " " + pattern);
    }
  }
  route->method = std::move(method);
  route->pattern = std::move(pattern);
  route->handler = std::move(handler);
  route->options = options;
  routes_.push_back(std::move(route));
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch m;
  const auto parts = split(path);
  int best = -1;
  int best_any = -1;
  for (const auto& r : routes_) {
    const int s = score(*r, parts);
    if (s < 0) continue;
    // HEAD is served by the GET route.
    const bool same = r->method == method || (method == "HEAD" && r->method == "GET");
    if (same && s > best) {
      best = s;
      m.route = r.get();
    }
    if (s > best_any) best_any = s;
  }
  if (m.route != nullptr) {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& seg = m.route->segments[i];
      if (is_param(seg)) m.params.emplace_back(seg.substr(1, seg.size() - 2), parts[i]);
    }
    return m;
  }
  // 405 lists the methods of the most specific pattern that fits the path.
  for (const auto& r : routes_) {
    if (score(*r, parts) == best_any && best_any >= 0) m.allowed.push_back(r->method);
  }
  return m;
}

}  // namespace aether::rest
