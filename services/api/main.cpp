// aether-api: wiring only. libs/service does the start-up; src/api_service.cpp
// starts the roles of AETHER_API_ROLE (REST edge, projector). `tenant create`
// is the bootstrap without a key: PostgreSQL only, no admin port, the key
// alone on stdout.
#include <string_view>

#include "aether/service/service.hpp"
#include "api_service.hpp"
#include "tenant_command.hpp"

using namespace aether;

int main(int argc, char** argv) {
  const bool tenant = argc > 1 && std::string_view(argv[1]) == "tenant";
  service::Service svc(
      {.program = "aether-api",
       .description = "REST for integrators, and the projection of the bus into PostgreSQL",
       .version = AETHER_VERSION,
       .name = "api",
       .admin_port = tenant ? service::kNoAdmin : 9090,
       .handle_signals = !tenant});
  api::DataConfig data(svc.spec());
  api::HttpOptions http(svc.spec());
  redis::RedisSettings redis(svc.spec());
  api::TenantCreateArgs tenant_args;
  auto* tenant_create = api::add_tenant_command(svc.cli().app(), tenant_args);
  return svc.run(argc, argv, [&](service::Context& ctx) -> service::Result<service::Running> {
    if (!tenant_create->parsed()) return api::start_api(ctx, data, http, redis);
    pg::Pool pool(data.pool_options("aether-api tenant"));
    ctx.request_stop(api::run_tenant_create(tenant_args, pool, std::cout, std::cerr));
    return service::Running{[] {}};
  });
}
