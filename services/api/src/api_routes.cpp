#include "api_routes.hpp"

#include <spdlog/spdlog.h>

#include "aether/rest/problem.hpp"
#include "api_key_store.hpp"

namespace aether::api {

using rest::Problem;
using rest::Request;
using rest::Response;

ApiRoutes::ApiRoutes(RouteDeps& deps, const redis::IdempotencyStore* idempotency)
    : deps_(deps),
      idempotency_(idempotency),
      guard_(deps.auth, deps.rate_check, deps.rate_try_check),
      vms_(deps),
      guest_(deps),
      events_(deps),
      operator_(deps),
      pause_(vms_),
      templates_(deps) {}

AuthedHandler ApiRoutes::idempotent(AuthedHandler handler) const {
  if (idempotency_ == nullptr) return handler;
  return [this, handler = std::move(handler)](Request& req, const Principal& who) -> Response {
    auto key = req.header("Idempotency-Key");
    if (!key) return handler(req, who);
    if (auto problem = redis::idempotency_key_problem(*key)) {
      return Problem::bad_request(*problem, {{"Idempotency-Key", *problem}}).response();
    }
    std::string target = req.path;
    for (std::size_t i = 0; i < req.query.size(); ++i) {
      target += (i == 0 ? "?" : "&") + req.query[i].first + "=" + req.query[i].second;
    }
    auto claim = idempotency_->begin(who.tenant_id, *key,
                                     redis::request_fingerprint(req.method, target, req.body));
    if (!claim) {
      if (redis::is_unavailable(claim.error())) {
        return Problem::unavailable("Redis unavailable: " + claim.error().message,
                                    static_cast<int>(redis::retry_after(claim.error()).count()))
            .response();
      }
      return Problem::internal("idempotency store: " + claim.error().message).response();
    }
    switch (claim->state) {
      case redis::ClaimState::kReplay: {
        Response r;
        r.status = claim->response->status;
        for (const auto& h : claim->response->headers) r.headers.set(h.name, h.value);
        r.body = claim->response->body;
        r.headers.set("Idempotent-Replayed", "true");
        return r;
      }
      case redis::ClaimState::kMismatch:
        return Problem::unprocessable("Idempotency-Key was used with a different request",
                                      {{"Idempotency-Key", "reused with another body or target"}})
            .response();
      case redis::ClaimState::kInProgress: {
        auto p = Problem::conflict("a request with this Idempotency-Key is still running");
        p.retry_after_seconds =
            std::max<int>(1, static_cast<int>((claim->retry_after.count() + 999) / 1000));
        return p.response();
      }
      case redis::ClaimState::kClaimed:
        break;
    }
    Response r = handler(req, who);
    if (r.status >= 500 || r.stream) {
      (void)idempotency_->release(*claim);
      return r;
    }
    redis::StoredResponse stored{.status = r.status, .headers = {}, .body = r.body};
    for (const char* name : {"Content-Type", "Location"}) {
      if (auto v = r.headers.get(name)) stored.headers.push_back({name, *v});
    }
    if (auto done = idempotency_->complete(*claim, stored); !done) {
      spdlog::warn("api: idempotent answer not stored: {}", done.error().message);
    }
    return r;
  };
}

rest::Router ApiRoutes::router() {
  rest::Router r;
  const std::string vms(kScopeVms);
  const std::string op(kScopeOperator);
  auto bind = [](auto* target, auto method) -> AuthedHandler {
    return [target, method](Request& req, const Principal& who) {
      return (target->*method)(req, who);
    };
  };
  r.add("GET", "/v1/openapi.json",
        [this](Request&) { return Response::text(200, deps_.openapi_json, "application/json"); });
  r.add("POST", "/v1/vms", guard_.wrap(vms, "write", idempotent(bind(&vms_, &VmRoutes::create))));
  r.add("GET", "/v1/vms", guard_.wrap(vms, "read", bind(&vms_, &VmRoutes::list)));
  // The hot read: answered on the io thread when the key, its tokens and the
  // row are in memory, else on the pool.
  r.add("GET", "/v1/vms/{id}", guard_.wrap(vms, "read", bind(&vms_, &VmRoutes::get)),
        {.fast = guard_.fast(vms, "read", [this](const Request& req, const Principal& who) {
          return vms_.get_cached(req, who);
        })});
  r.add("DELETE", "/v1/vms/{id}", guard_.wrap(vms, "write", bind(&vms_, &VmRoutes::remove)));
  r.add("POST", "/v1/vms/{id}/stop",
        guard_.wrap(vms, "write", idempotent(bind(&vms_, &VmRoutes::stop))));
  r.add("POST", "/v1/vms/{id}/pause",
        guard_.wrap(vms, "write", bind(&pause_, &PauseRoutes::pause)));
  r.add("POST", "/v1/vms/{id}/resume",
        guard_.wrap(vms, "write", bind(&pause_, &PauseRoutes::resume)));
  r.add("GET", "/v1/templates", guard_.wrap(vms, "read", bind(&templates_, &TemplateRoutes::list)));
  r.add("GET", "/v1/vms/{id}/events", guard_.wrap(vms, "read", bind(&vms_, &VmRoutes::events)));
  r.add("POST", "/v1/vms/{id}/exec", guard_.wrap(vms, "exec", bind(&guest_, &GuestRoutes::exec)),
        {.max_body_bytes = deps_.max_file_bytes * 4 / 3 + 65536});
  r.add("PUT", "/v1/vms/{id}/files",
        guard_.wrap(vms, "exec", bind(&guest_, &GuestRoutes::put_file)),
        {.max_body_bytes = deps_.max_file_bytes});
  r.add("GET", "/v1/vms/{id}/files",
        guard_.wrap(vms, "exec", bind(&guest_, &GuestRoutes::get_file)));
  r.add("GET", "/v1/events", guard_.wrap(vms, "events", bind(&events_, &EventStream::open)));
  r.add("GET", "/v1/workers", guard_.wrap(op, "read", bind(&operator_, &OperatorRoutes::workers)));
  r.add("GET", "/v1/nodes", guard_.wrap(op, "read", bind(&operator_, &OperatorRoutes::nodes)));
  r.add("GET", "/v1/autoscaler",
        guard_.wrap(op, "read", bind(&operator_, &OperatorRoutes::autoscaler)));
  r.add("POST", "/v1/tenants",
        guard_.wrap(op, "write", idempotent(bind(&operator_, &OperatorRoutes::create_tenant))));
  r.add("POST", "/v1/tenants/{id}/keys",
        guard_.wrap(op, "write", bind(&operator_, &OperatorRoutes::create_key)));
  r.add("DELETE", "/v1/keys/{id}",
        guard_.wrap(op, "write", bind(&operator_, &OperatorRoutes::revoke_key)));
  return r;
}

}  // namespace aether::api
