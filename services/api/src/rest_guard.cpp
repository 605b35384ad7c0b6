#include "rest_guard.hpp"

#include "aether/rest/problem.hpp"

namespace aether::api {

std::optional<rest::Response> Guard::refusal(const std::expected<Principal, AuthError>& principal,
                                             const std::string& scope) {
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
    return rest::Problem::forbidden("this route needs a key with scope '" + scope + "'").response();
  }
  return std::nullopt;
}

rest::Response Guard::limited(RateDecision decision, const std::string& route_class,
                              const std::function<rest::Response()>& handler) {
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
  rest::Response r = handler();
  for (auto& [k, v] : decision.headers) {
    if (!r.headers.get(k)) r.headers.set(k, v);
  }
  return r;
}

rest::Handler Guard::wrap(std::string scope, std::string route_class, AuthedHandler handler) const {
  return [this, scope = std::move(scope), route_class = std::move(route_class),
          handler = std::move(handler)](rest::Request& req) -> rest::Response {
    auto principal = auth_.authenticate_header(req.header("Authorization").value_or(""));
    if (auto refused = refusal(principal, scope)) return std::move(*refused);
    auto run = [&] { return handler(req, *principal); };
    if (!rate_check_) return run();
    return limited(rate_check_(principal->key_id, route_class), route_class, run);
  };
}

rest::FastHandler Guard::fast(std::string scope, std::string route_class,
                              FastAuthedHandler handler) const {
  if (rate_check_ && !rate_try_check_) return {};
  return [this, scope = std::move(scope), route_class = std::move(route_class),
          handler = std::move(handler)](const rest::Request& req) -> std::optional<rest::Response> {
    auto principal = auth_.cached_header(req.header("Authorization").value_or(""));
    if (!principal) return std::nullopt;
    if (auto refused = refusal(*principal, scope)) return refused;
    // The answer first (it spends nothing), then the token: a miss must not
    // spend one, since the pool checks the limit again.
    auto answer = handler(req, **principal);
    if (!answer) return std::nullopt;
    if (!rate_try_check_) return answer;
    auto decision = rate_try_check_((*principal)->key_id, route_class);
    if (!decision) return std::nullopt;
    return limited(std::move(*decision), route_class, [&] { return std::move(*answer); });
  };
}

}  // namespace aether::api
