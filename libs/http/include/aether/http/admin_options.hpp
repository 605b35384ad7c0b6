// AdminOptions: the admin server's two variables, declared the same way in every service.
//
//   aether::config::Spec spec("aether-api", "REST API");
//   aether::http::AdminOptions admin_options(spec, 9090);  // AETHER_ADMIN_ADDR, AETHER_ADMIN_PORT
//   ... cli.parse(argc, argv) ...
//   aether::http::AdminServer admin(admin_options.options());
//
// Lifecycle/threads: like the Spec's fields: declare at start-up, read after load().
#pragma once

#include <string_view>

#include "aether/config/config.hpp"
#include "aether/http/admin_server.hpp"
#include "aether/http/metrics.hpp"

namespace aether::http {

class AdminOptions {
 public:
  // default_port: this service's admin port when AETHER_ADMIN_PORT is not set.
  AdminOptions(config::Spec& spec, int default_port);
  [[nodiscard]] AdminServerOptions options() const;

 private:
  const config::StringField& addr_;
  const config::IntField& port_;
};

// aether_build_info{service="...",version="..."} 1 and process_start_time_seconds,
// so dashboards can tell versions and restarts apart. Call once at start-up.
void register_process_metrics(Registry& registry, std::string_view service,
                              std::string_view version);

}  // namespace aether::http
