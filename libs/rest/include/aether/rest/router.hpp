// Router: maps (method, path) to a handler. Patterns are literal segments and
// `{name}` parameters that match one non-empty segment: "/v1/vms/{id}/exec".
// Literal segments win over parameters at the same position, so "/v1/vms/x"
// and "/v1/vms/{id}" may both exist.
//
// Lifecycle: fill it at start-up, then hand it to a Server; match() is const
// and safe from any number of threads.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aether/rest/message.hpp"

namespace aether::rest {

using Handler = std::function<Response(Request&)>;
// An answer the io thread gives without handing the request to the handler
// pool, when it can do so without blocking (from memory: no I/O, no waiting on
// a lock held across I/O). nullopt: the pool runs the route's Handler as
// usual, with the same Request, so a FastHandler must not change anything the
// Handler depends on. It must not return a streaming Response (one that does
// is streamed from the pool).
using FastHandler = std::function<std::optional<Response>(const Request&)>;

struct RouteOptions {
  // Largest request body this route reads (413 beyond); 0: the server's default.
  std::size_t max_body_bytes = 0;
  // Tried first, on the io thread; empty: every request goes to the pool.
  FastHandler fast;
};

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  RouteOptions options;
  std::vector<std::string> segments;  // split pattern; "{x}" kept as is
};

struct RouteMatch {
  const Route* route = nullptr;  // null: no route for this method (see allowed)
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> allowed;  // methods of the path when route is null; empty: 404
};

class Router {
 public:
  // Throws std::invalid_argument on a malformed pattern or a duplicate route
  // (start-up programming errors).
  void add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});
  [[nodiscard]] RouteMatch match(std::string_view method, std::string_view path) const;
  [[nodiscard]] const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace aether::rest
