// The api's REST surface: every route of services/api/openapi.json wired to
// its handler class behind the Guard (auth, scope, rate limit) and, for POSTs,
// the Idempotency-Key check. ApiRoutes owns the handler objects; the Router
// it builds refers to them, so it must outlive the Server using that Router.
#pragma once

#include <memory>

#include "aether/redis/idempotency.hpp"
#include "aether/rest/router.hpp"
#include "event_stream.hpp"
#include "guest_routes.hpp"
#include "operator_routes.hpp"
#include "pause_routes.hpp"
#include "rest_guard.hpp"
#include "route_deps.hpp"
#include "template_routes.hpp"
#include "vm_routes.hpp"

namespace aether::api {

class ApiRoutes {
 public:
  // idempotency: null disables Idempotency-Key handling (the header is then ignored).
  ApiRoutes(RouteDeps& deps, const redis::IdempotencyStore* idempotency);
  [[nodiscard]] rest::Router router();

 private:
  // Replays, refuses (422 other body, 409 running) or runs-and-stores a POST.
  [[nodiscard]] AuthedHandler idempotent(AuthedHandler handler) const;

  RouteDeps& deps_;
  const redis::IdempotencyStore* idempotency_;
  Guard guard_;
  VmRoutes vms_;
  GuestRoutes guest_;
  EventStream events_;
  OperatorRoutes operator_;
  PauseRoutes pause_;
  TemplateRoutes templates_;
};

}  // namespace aether::api
