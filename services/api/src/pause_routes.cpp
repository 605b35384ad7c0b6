#include "pause_routes.hpp"

#include "aether/rest/json_body.hpp"
#include "aether/v1/vm.pb.h"

namespace aether::api {

using rest::Response;

namespace {

// An empty body, or a JSON object without fields (none are defined yet).
std::optional<Response> body_problem(rest::Request& req, const char* what) {
  if (req.body.empty()) return std::nullopt;
  if (auto p = rest::require_json_content_type(req)) return p->response();
  auto body = rest::parse_json_body(req.body);
  if (!body) return body.error().response();
  rest::FieldReader r(*body);
  if (auto p = r.finish(what)) return p->response();
  return std::nullopt;
}

}  // namespace

Response PauseRoutes::pause(rest::Request& req, const Principal& who) {
  if (auto p = body_problem(req, "invalid pause request")) return std::move(*p);
  return vms_.command(req, who, "pause", v1::PauseVm(), kPauseTimeout);
}

Response PauseRoutes::resume(rest::Request& req, const Principal& who) {
  if (auto p = body_problem(req, "invalid resume request")) return std::move(*p);
  return vms_.command(req, who, "resume", v1::ResumeVm(), kPauseTimeout);
}

}  // namespace aether::api
