// Guard: what every authenticated route does before its handler runs:
// Authorization: Bearer <key> -> Principal (401, or 503 when PostgreSQL is
// down), the route's scope (403), then the key's rate limit for the route's
// class (429 + Retry-After; 503 when the limiter is down). The handler gets
// the Principal; everything it reads is scoped to principal.tenant_id.
//
// fast() is the same for the io thread (libs/rest RouteOptions::fast): each
// step only when it is answered from memory (the Authenticator's cache, the
// limiter's leased tokens) and the handler's answer from memory too; when any
// of them would block it answers nullopt before spending a token, and the
// pool then runs wrap()'s handler. Both paths give the same answers.
// Threads: wrap()/fast() at start-up; the wrapped handlers from any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "aether/rest/router.hpp"
#include "route_deps.hpp"

namespace aether::api {

using AuthedHandler = std::function<rest::Response(rest::Request&, const Principal&)>;
// An answer from memory, or nullopt when it needs I/O. Must not change state:
// its answer is dropped when the rate limit then needs Redis.
using FastAuthedHandler =
    std::function<std::optional<rest::Response>(const rest::Request&, const Principal&)>;

class Guard {
 public:
  Guard(Authenticator& auth, RateCheck rate_check, FastRateCheck rate_try_check = {})
      : auth_(auth),
        rate_check_(std::move(rate_check)),
        rate_try_check_(std::move(rate_try_check)) {}
  [[nodiscard]] rest::Handler wrap(std::string scope, std::string route_class,
                                   AuthedHandler handler) const;
  // Empty when the rate limit cannot be checked without blocking (no
  // FastRateCheck while a RateCheck is set): then no io-thread answers.
  [[nodiscard]] rest::FastHandler fast(std::string scope, std::string route_class,
                                       FastAuthedHandler handler) const;

 private:
  // The refusal of a principal or scope check; nullopt: it passed.
  [[nodiscard]] static std::optional<rest::Response> refusal(
      const std::expected<Principal, AuthError>& principal, const std::string& scope);
  // The refusal of a rate decision (429, 503), or handler()'s answer with the
  // decision's RateLimit-* headers.
  [[nodiscard]] static rest::Response limited(RateDecision decision, const std::string& route_class,
                                              const std::function<rest::Response()>& handler);

  Authenticator& auth_;
  RateCheck rate_check_;
  FastRateCheck rate_try_check_;
};

}  // namespace aether::api
