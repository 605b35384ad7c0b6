// Operator routes (keys with scope "operator"): GET /v1/workers (the
// aether_workers KV), GET /v1/nodes, GET /v1/autoscaler, POST /v1/tenants,
// POST /v1/tenants/{id}/keys, DELETE /v1/keys/{id}.
// Threads: handler threads, any number at once.
#pragma once

#include "aether/rest/message.hpp"
#include "route_deps.hpp"

namespace aether::api {

class OperatorRoutes {
 public:
  explicit OperatorRoutes(RouteDeps& deps) : deps_(deps) {}

  rest::Response workers(rest::Request& req, const Principal& who);
  rest::Response nodes(rest::Request& req, const Principal& who);
  rest::Response autoscaler(rest::Request& req, const Principal& who);
  rest::Response create_tenant(rest::Request& req, const Principal& who);
  rest::Response create_key(rest::Request& req, const Principal& who);
  rest::Response revoke_key(rest::Request& req, const Principal& who);

 private:
  RouteDeps& deps_;
};

}  // namespace aether::api
