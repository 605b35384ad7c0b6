#include "platform_commands.hpp"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <map>
#include <thread>

#include "aether/bus/jetstream.hpp"
#include "aether/bus/kv.hpp"
#include "aether/v1/worker.pb.h"
#include "sse.hpp"

namespace aether::ctl {
namespace {

const std::vector<Column> kWorkerColumns = {
    {"WORKER", "/workerId"},           {"NODE", "/node"},         {"VMS", "/vms"},
    {"VCPUS", "/used/vcpus"},          {"OF", "/capacity/vcpus"}, {"MEMORY_MIB", "/used/memoryMib"},
    {"OF_MIB", "/capacity/memoryMib"}, {"RUNTIME", "/runtime"},   {"DRAINING", "/draining"},
    {"FAULT", "/runtimeFault"}};

Result<Json> workers_from_kv(Context& ctx) {
  auto connection = ctx.bus();
  if (!connection) return std::unexpected(connection.error());
  auto bucket = bus::KvBucket::open(**connection, std::string(bus::kWorkersBucket));
  if (!bucket)
    return fail(kExitUnavailable,
                "KV " + std::string(bus::kWorkersBucket) + ": " + bucket.error().message);
  auto watcher = bucket->watch(">", {.ignore_deletes = true});
  if (!watcher) return fail(kExitUnavailable, "KV watch: " + watcher.error().message);
  Json list = Json::array();
  for (;;) {
    auto next = watcher->next(ctx.timeout());
    if (!next) return fail(kExitUnavailable, "KV watch: " + next.error().message);
    if (!next->has_value()) break;  // every current value delivered
    v1::WorkerStatus status;
    if (!status.ParseFromString((*next)->value)) continue;
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    (void)google::protobuf::util::MessageToJsonString(status, &json, options);
    list.push_back(Json::parse(json));
  }
  return Json{{"workers", list}};
}

// GET /v1/templates' shape from the workers' statuses (proto3 JSON): one
// entry per name and image id, with the workers offering it.
Json templates_of(const Json& workers) {
  std::map<std::pair<std::string, std::string>, Json> offered;
  for (const auto& w : workers) {
    for (const auto& t : w.value("templates", Json::array())) {
      auto& entry = offered[{t.value("name", ""), t.value("imageId", "")}];
      if (entry.is_null()) {
        entry = Json{{"name", t.value("name", "")}, {"workers", Json::array()}};
        for (const char* field : {"imageSource", "imageId", "imageDigest"}) {
          if (!t.value(field, "").empty()) entry[field] = t[field];
        }
      }
      entry["workers"].push_back(w.value("workerId", ""));
    }
  }
  Json list = Json::array();
  for (auto& [key, entry] : offered) list.push_back(std::move(entry));
  return Json{{"templates", list}};
}

}  // namespace

Result<int> events(Context& ctx, const EventsOptions& o) {
  SseParser parser;
  std::string last_id = o.since;
  int seen = 0;
  int failures = 0;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Accept", "text/event-stream"}};
    if (!last_id.empty()) headers.emplace_back("Last-Event-ID", last_id);
    bool done = false;
    auto response = ctx.api().lines(
        "GET", "/v1/events", std::nullopt, {}, headers, std::chrono::milliseconds(0),
        [&](std::string_view line) {
          auto event = parser.feed(line);
          if (!event) return true;
          failures = 0;
          if (!event->id.empty()) last_id = event->id;
          Json data = Json::parse(event->data, nullptr, false);
          if (ctx.format() == OutputFormat::kTable && data.is_object()) {
            ctx.out() << last_id << "  " << data.value("at", std::string()) << "  "
                      << data.value("vmId", std::string()) << "  "
                      << data.value("state", std::string());
            if (auto r = data.value("reason", std::string()); !r.empty()) ctx.out() << "  " << r;
            ctx.out() << "\n" << std::flush;
          } else if (data.is_object()) {
            data["sequence"] = last_id;
            ctx.out() << (ctx.format() == OutputFormat::kYaml ? to_yaml(data) + "---\n"
                                                              : data.dump() + "\n")
                      << std::flush;
          }
          ++seen;
          if (o.max_events > 0 && seen >= o.max_events) {
            done = true;
            return false;
          }
          return true;
        },
        // Without --follow: what is there now, i.e. until the stream goes quiet.
        o.follow ? std::chrono::seconds(0) : std::chrono::seconds(2));
    if (done || !o.follow) {
      if (!response && !done) return std::unexpected(response.error());
      return kExitOk;
    }
    // A dropped stream: reconnect after the last id we printed, so nothing is
    // missed or printed twice. Errors other than "unavailable" end the command.
    if (!response && response.error().exit_code != kExitUnavailable) {
      return std::unexpected(response.error());
    }
    ++failures;
    ctx.err() << "(events: stream ended" << (response ? "" : ": " + response.error().message)
              << "; reconnecting after " << (last_id.empty() ? "the start" : last_id) << ")\n";
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(5000, 250 * (1 << std::min(failures, 4)))));
  }
}

Result<int> workers(Context& ctx) {
  auto doc = ctx.settings().bus ? workers_from_kv(ctx) : ctx.api().call("GET", "/v1/workers");
  if (!doc) return std::unexpected(doc.error());
  print_rows(ctx.out(), ctx.format(), *doc, doc->value("workers", Json::array()), kWorkerColumns);
  return kExitOk;
}

Result<int> templates(Context& ctx) {
  Result<Json> doc;
  if (ctx.settings().bus) {
    auto from_kv = workers_from_kv(ctx);
    if (!from_kv) return std::unexpected(from_kv.error());
    doc = templates_of(from_kv->value("workers", Json::array()));
  } else {
    doc = ctx.api().call("GET", "/v1/templates");
  }
  if (!doc) return std::unexpected(doc.error());
  print_rows(ctx.out(), ctx.format(), *doc, doc->value("templates", Json::array()),
             {{"TEMPLATE", "/name"},
              {"IMAGE", "/imageSource"},
              {"IMAGE_ID", "/imageId"},
              {"WORKERS", "/workers"}});
  return kExitOk;
}

Result<int> nodes(Context& ctx) {
  auto doc = ctx.api().call("GET", "/v1/nodes");
  if (!doc) return std::unexpected(doc.error());
  print_rows(ctx.out(), ctx.format(), *doc, doc->value("nodes", Json::array()),
             {{"NODE", "/name"},
              {"STATE", "/state"},
              {"KVM", "/kvmUsable"},
              {"RUNTIME", "/runtime"},
              {"REASON", "/reason"},
              {"UPDATED", "/updatedAt"}});
  return kExitOk;
}

Result<int> autoscaler_status(Context& ctx) {
  auto doc = ctx.api().call("GET", "/v1/autoscaler");
  if (!doc) return std::unexpected(doc.error());
  print_rows(ctx.out(), ctx.format(), *doc, doc->value("decisions", Json::array()),
             {{"AT", "/decidedAt"},
              {"ACTION", "/action"},
              {"FROM", "/fromNodes"},
              {"TO", "/toNodes"},
              {"BACKLOG", "/queueBacklog"},
              {"REASON", "/reason"},
              {"LEADER", "/leader"}});
  return kExitOk;
}

Result<int> tenant_create(Context& ctx, const std::string& id, bool operator_scope,
                          const std::string& display_name) {
  Json body = {{"id", id}};
  if (!display_name.empty()) body["name"] = display_name;
  auto tenant = ctx.api().call("POST", "/v1/tenants", body);
  if (!tenant) return std::unexpected(tenant.error());
  Json key_body = Json::object();
  if (operator_scope) key_body["scopes"] = Json::array({"vms", "operator"});
  auto key = ctx.api().call("POST", "/v1/tenants/" + ctx.api().escape(id) + "/keys", key_body);
  if (!key) return std::unexpected(key.error());
  if (ctx.format() == OutputFormat::kTable) {
    ctx.out() << key->value("key", std::string()) << "\n";
    ctx.err() << "tenant " << id << " created; the key above is shown only once\n";
  } else {
    print_object(ctx.out(), ctx.format(), Json{{"tenant", *tenant}, {"key", *key}});
  }
  return kExitOk;
}

}  // namespace aether::ctl
