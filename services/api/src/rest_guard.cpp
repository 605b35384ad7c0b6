#include "rest_guard.hpp"

#include "aether/rest/problem.hpp"

namespace aether::api {

rest::Handler Guard::wrap(std::string scope, std::string route_class, AuthedHandler handler) const {
  return [this, scope = std::move(scope), route_class = std::move(route_class),
          handler = std::move(handler)](rest::Request& req) -> rest::Response {
    auto principal = auth_.authenticate_header(req.header("Authorization").value_or(""));
    if (!principal) {
      const int status = principal.error().http_status();
      rest::Response r =
          status == 503   ? rest::Problem::unavailable(principal.error().message, 2).response()
          : status == 401 ? rest::Problem::unauthorized(principal.error().message).response()
                          : rest::Problem::internal(principal.error().message).response();
      if (status == 401) r.headers.set("WWW-Authenticate", "Bearer realm=\"aether\"");
      return r;
    }
    if (!principal->has_scope(scope)) {
      return rest::Problem::forbidden("this route needs a key with scope '" + scope + "'")
          .response();
    }
    std::vector<std::pair<std::string, std::string>> limit_headers;
    if (rate_check_) {
      auto decision = rate_check_(principal->key_id, route_class);
      if (decision.unavailable) {
        return rest::Problem::unavailable("rate limiter unavailable: " + decision.message,
                                          std::max(1, decision.retry_after_seconds))
            .response();
      }
      if (!decision.allowed) {
        auto r = rest::Problem::too_many_requests(
                     "rate limit of class '" + route_class + "' reached for this key",
                     decision.retry_after_seconds)
                     .response();
        for (auto& [k, v] : decision.headers) r.headers.set(k, v);
        return r;
      }
      limit_headers = std::move(decision.headers);
    }
    rest::Response r = handler(req, *principal);
    for (auto& [k, v] : limit_headers) {
      if (!r.headers.get(k)) r.headers.set(k, v);
    }
    return r;
  };
}

}  // namespace aether::api
