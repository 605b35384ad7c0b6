// The api's parts for one run, as libs/service starts them: readiness checks
// (NATS, PostgreSQL, schema), the projector thread (roles all|projector) and
// the REST edge (roles all|http). main.cpp only declares the config and
// calls start_api(); tests may call it through service::TestRun.
#pragma once

#include "aether/redis/settings.hpp"
#include "aether/service/context.hpp"
#include "aether/service/service.hpp"
#include "data_config.hpp"
#include "http_options.hpp"

namespace aether::api {

// Starts what AETHER_API_ROLE asks for. The returned stop() stops accepting
// REST requests and finishes those in flight, then lets the projector's batch
// in flight finish, then flushes NATS.
[[nodiscard]] service::Result<service::Running> start_api(service::Context& ctx,
                                                          const DataConfig& data,
                                                          const HttpOptions& http,
                                                          const redis::RedisSettings& redis);

}  // namespace aether::api
