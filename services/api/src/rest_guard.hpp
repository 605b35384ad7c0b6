// Guard: what every authenticated route does before its handler runs:
// Authorization: Bearer <key> -> Principal (401, or 503 when PostgreSQL is
// down), the route's scope (403), then the key's rate limit for the route's
// class (429 + Retry-After; 503 when the limiter is down). The handler gets
// the Principal; everything it reads is scoped to principal.tenant_id.
// Threads: wrap() at start-up; the wrapped handlers from any thread.
#pragma once

#include <functional>
#include <string>

#include "aether/rest/router.hpp"
#include "route_deps.hpp"

namespace aether::api {

using AuthedHandler = std::function<rest::Response(rest::Request&, const Principal&)>;

class Guard {
 public:
  Guard(Authenticator& auth, RateCheck rate_check)
      : auth_(auth), rate_check_(std::move(rate_check)) {}
  [[nodiscard]] rest::Handler wrap(std::string scope, std::string route_class,
                                   AuthedHandler handler) const;

 private:
  Authenticator& auth_;
  RateCheck rate_check_;
};

}  // namespace aether::api
