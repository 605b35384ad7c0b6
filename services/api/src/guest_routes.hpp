// Routes into a running guest: POST /v1/vms/{id}/exec (JSON, or ndjson
// streamed through the bus's stream_inbox with Accept: application/x-ndjson)
// and PUT/GET /v1/vms/{id}/files?path=. The VM is looked up in the caller's
// tenant first (404), must be READY (409), then the request goes to the worker
// that holds it on aether.vm.<id>.<op>.
// Threads: handler threads, any number at once.
#pragma once

#include "aether/rest/message.hpp"
#include "aether/v1/exec.pb.h"
#include "route_deps.hpp"

namespace aether::api {

class GuestRoutes {
 public:
  explicit GuestRoutes(RouteDeps& deps) : deps_(deps) {}

  rest::Response exec(rest::Request& req, const Principal& who);
  rest::Response put_file(rest::Request& req, const Principal& who);
  rest::Response get_file(rest::Request& req, const Principal& who);

 private:
  std::expected<VmRecord, rest::Response> ready_vm(const rest::Request& req, const Principal& who);
  rest::Response stream_exec(const std::string& subject, v1::ExecRequest request,
                             const Principal& who, bool base64, std::chrono::milliseconds timeout);

  RouteDeps& deps_;
};

}  // namespace aether::api
