// GET /v1/templates (scope vms, class read): the templates the live workers
// offer (WorkerStatus.templates in KV aether_workers), one entry per name and
// image, with the workers that offer it, sorted by name. What a tenant may
// put in VmSpec.template. A template no live worker offers is not listed.
// Threads: handler threads, any number at once.
#pragma once

#include "aether/rest/message.hpp"
#include "route_deps.hpp"

namespace aether::api {

class TemplateRoutes {
 public:
  explicit TemplateRoutes(RouteDeps& deps) : deps_(deps) {}

  rest::Response list(rest::Request& req, const Principal& who);

 private:
  RouteDeps& deps_;
};

}  // namespace aether::api
