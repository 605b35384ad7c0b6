#include "operator_routes.hpp"

#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "aether/bus/jetstream.hpp"
#include "aether/bus/kv.hpp"
#include "aether/rest/json_body.hpp"
#include "aether/v1/worker.pb.h"
#include "api_key_store.hpp"
#include "vm_json.hpp"
#include "worker_statuses.hpp"

namespace aether::api {

using nlohmann::json;
using rest::Problem;
using rest::Response;

namespace {

json parsed_or_raw(const std::string& text) {
  json v = json::parse(text, nullptr, false);
  return v.is_discarded() ? json(text) : v;
}

json tenant_json(const Tenant& t) {
  json out = {{"id", t.id},
              {"name", t.display_name},
              {"createdAt", t.created_at},
              {"disabled", t.disabled}};
  if (t.quotas.max_vms) out["maxVms"] = *t.quotas.max_vms;
  if (t.quotas.max_vcpus) out["maxVcpus"] = *t.quotas.max_vcpus;
  if (t.quotas.max_memory_mib) out["maxMemoryMib"] = *t.quotas.max_memory_mib;
  return out;
}

}  // namespace

Response OperatorRoutes::workers(rest::Request&, const Principal&) {
  // Each value is a worker's WorkerStatus heartbeat (protobuf); answered as its
  // proto3 JSON, the shape `aetherctl workers --bus` prints from the KV itself.
  auto statuses = read_worker_statuses(deps_.bus);
  if (!statuses) return std::move(statuses.error());
  json workers = json::array();
  for (const auto& status : *statuses) {
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    (void)google::protobuf::util::MessageToJsonString(status, &text, options);
    workers.push_back(json::parse(text));
  }
  return Response::json(200, {{"workers", workers}});
}

Response OperatorRoutes::nodes(rest::Request&, const Principal&) {
  auto list = deps_.nodes.list();
  if (!list) return store_problem(list.error()).response();
  json nodes = json::array();
  for (const auto& n : *list) {
    json node = {{"name", n.name},
                 {"state", n.state},
                 {"kvmUsable", n.kvm_usable},
                 {"labels", parsed_or_raw(n.labels_json)},
                 {"assets", parsed_or_raw(n.asset_sha256_json)},
                 {"firstSeenAt", n.first_seen_at},
                 {"updatedAt", n.updated_at}};
    if (n.runtime) node["runtime"] = *n.runtime;
    if (n.reason) node["reason"] = *n.reason;
    nodes.push_back(std::move(node));
  }
  return Response::json(200, {{"nodes", nodes}});
}

Response OperatorRoutes::autoscaler(rest::Request& req, const Principal&) {
  auto latest = deps_.decisions.latest(20, req.query_param("action"));
  if (!latest) return store_problem(latest.error()).response();
  json decisions = json::array();
  for (const auto& d : *latest) {
    json item = {{"id", d.id},
                 {"action", d.action},
                 {"fromNodes", d.from_nodes},
                 {"toNodes", d.to_nodes},
                 {"reason", d.reason},
                 {"queueBacklog", d.queue_backlog},
                 {"nodes", d.nodes},
                 {"leader", d.leader},
                 {"decidedAt", d.decided_at}};
    if (d.capacity_used_ratio) item["capacityUsedRatio"] = *d.capacity_used_ratio;
    decisions.push_back(std::move(item));
  }
  return Response::json(200, {{"decisions", decisions}});
}

Response OperatorRoutes::create_tenant(rest::Request& req, const Principal&) {
  if (auto p = rest::require_json_content_type(req)) return p->response();
  auto body = rest::parse_json_body(req.body);
  if (!body) return body.error().response();
  rest::FieldReader r(*body);
  NewTenant tenant;
  auto id = r.string("id", 63);
  if (!id) {
    if (r.errors().empty()) r.add_error("id", "required");
  } else if (!valid_tenant_id(*id)) {
    r.add_error("id", "must be 1..63 of [a-z0-9-], starting with a letter or digit");
  }
  tenant.id = id.value_or("");
  tenant.display_name = r.string("name", 256).value_or(tenant.id);
  auto quota = [&](std::string_view name) -> std::optional<std::int64_t> {
    auto v = r.uint(name, 0, 1'000'000'000);
    return v ? std::optional<std::int64_t>(static_cast<std::int64_t>(*v)) : std::nullopt;
  };
  tenant.quotas.max_vms = quota("maxVms");
  tenant.quotas.max_vcpus = quota("maxVcpus");
  tenant.quotas.max_memory_mib = quota("maxMemoryMib");
  if (auto p = r.finish("invalid tenant")) return p->response();
  auto created = deps_.tenants.create(tenant);
  if (!created) return store_problem(created.error()).response();
  return Response::json(201, tenant_json(*created))
      .with_header("Location", "/v1/tenants/" + tenant.id);
}

Response OperatorRoutes::create_key(rest::Request& req, const Principal&) {
  if (auto p = rest::require_json_content_type(req)) return p->response();
  auto body = rest::parse_json_body(req.body);
  if (!body) return body.error().response();
  rest::FieldReader r(*body);
  NewApiKey key;
  key.tenant_id = req.param("id");
  key.name = r.string("name", 256).value_or("");
  if (auto scopes = r.string_list("scopes", 8)) {
    for (const auto& s : *scopes) {
      if (s != kScopeVms && s != kScopeOperator) {
        r.add_error("scopes", "unknown scope '" + s + "' (vms, operator)");
      }
    }
    if (!scopes->empty()) key.scopes = *scopes;
  }
  key.expires_at = r.string("expiresAt", 64);
  if (auto p = r.finish("invalid key request")) return p->response();
  auto issued = deps_.keys.issue(key);
  if (!issued) return store_problem(issued.error()).response();
  return Response::json(201, {{"id", issued->key.id},
                              {"tenant", issued->key.tenant_id},
                              {"prefix", issued->key.prefix},
                              {"scopes", issued->key.scopes},
                              {"key", issued->secret}});
}

Response OperatorRoutes::revoke_key(rest::Request& req, const Principal&) {
  const std::string id = req.param("id");
  auto revoked = deps_.keys.revoke(id);
  if (!revoked) return store_problem(revoked.error()).response();
  deps_.auth.forget(id);
  return Response::empty(204);
}

}  // namespace aether::api
