// What the REST routes need: the stores, the authenticator, the bus and the
// rate limit, passed by reference from main.cpp (or a test) that owns them.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aether/bus/connection.hpp"
#include "aether/bus/jetstream.hpp"
#include "authenticator.hpp"
#include "node_store.hpp"
#include "tenant_store.hpp"
#include "vm_read_cache.hpp"
#include "vm_store.hpp"
#include "worker_class_view.hpp"

namespace aether::api {

// One rate-limit check's outcome, as the routes need it (libs/redis'
// RateLimiter is adapted to this in main.cpp, so routes do not depend on how
// limits are kept).
struct RateDecision {
  bool allowed = true;
  bool unavailable = false;  // the limiter's store is down: 503
  int retry_after_seconds = 0;
  std::string message;
  std::vector<std::pair<std::string, std::string>> headers;  // RateLimit-*, Retry-After
};
// (subject: the key id, route class: read | write | exec | events)
using RateCheck = std::function<RateDecision(std::string_view subject, std::string_view klass)>;
// The same check answered without blocking (the io thread), or nullopt when
// only RateCheck can answer (it would call Redis); nothing is spent then.
using FastRateCheck =
    std::function<std::optional<RateDecision>(std::string_view subject, std::string_view klass)>;

struct RouteDeps {
  VmStore& vms;
  TenantStore& tenants;
  ApiKeyStore& keys;
  NodeStore& nodes;
  ScaleDecisionStore& decisions;
  Authenticator& auth;
  bus::Connection& bus;
  RateCheck rate_check;  // empty: no rate limits
  // Lets GET /v1/vms/{id} answer on the io thread (libs/rest RouteOptions::fast)
  // when its tokens are at hand; empty while rate_check is set: every request
  // goes to the handler pool.
  FastRateCheck rate_try_check;
  QuotaDefaults quotas;
  std::string openapi_json;  // served at /v1/openapi.json
  std::chrono::milliseconds bus_timeout{5000};
  std::chrono::milliseconds max_wait{300'000};  // ?wait=ready&timeout= ceiling
  std::size_t max_file_bytes = 8 * 1024 * 1024;
  VmReadCache* vm_cache = nullptr;  // GET /v1/vms/{id} from memory; null: always PostgreSQL
  // Where POST /v1/vms publishes: aether.cmd.vm.create.<class> (AETHER_VM_CLASSES).
  bus::VmClassTable vm_classes = bus::default_vm_classes();
  // Refuses a create no live worker serves (a class-table mismatch); null: no check.
  const WorkerClassView* worker_classes = nullptr;
};

}  // namespace aether::api
