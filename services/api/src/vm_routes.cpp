#include "vm_routes.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include "aether/bus/jetstream.hpp"
#include "aether/rest/json_body.hpp"
#include "aether/v1/vm.pb.h"
#include "ids.hpp"
#include "unheld_vm.hpp"
#include "vm_json.hpp"

namespace aether::api {

using nlohmann::json;
using rest::Problem;
using rest::Response;

namespace {
// How long a pause or resume answer waits for the projection to show the
// state the worker replied (normally a few ms; see command()).
constexpr std::chrono::milliseconds kProjectionCatchUp{5000};
}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data() || n > 86'400'000) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit.empty() || unit == "s") return std::chrono::milliseconds(n * 1000);
  return std::nullopt;
}

namespace {

bool finished_state(const std::string& state) {
  return state == "READY" || state == "FAILED" || state == "STOPPED" || state == "DELETED";
}

Response bad_vm_id(const std::string& id) {
  return Problem::bad_request("'" + id + "' is not a VM id (a UUID)", {{"id", "must be a UUID"}})
      .response();
}

Response no_vm(const std::string& id) { return Problem::not_found("no VM " + id).response(); }

}  // namespace

std::expected<VmRecord, Response> VmRoutes::find(const rest::Request& req, const Principal& who,
                                                 bool cached) {
  const std::string id = req.param("id");
  if (!is_uuid(id)) return std::unexpected(bad_vm_id(id));
  auto vm = cached && deps_.vm_cache != nullptr
                ? deps_.vm_cache->get(who.tenant_id, id,
                                      [this](const std::string& tenant, const std::string& vm_id) {
                                        return deps_.vms.get(tenant, vm_id);
                                      })
                : deps_.vms.get(who.tenant_id, id);
  if (!vm) return std::unexpected(store_problem(vm.error()).response());
  if (!*vm) return std::unexpected(no_vm(id));
  return std::move(**vm);
}

Response VmRoutes::create(rest::Request& req, const Principal& who) {
  if (auto p = rest::require_json_content_type(req)) return p->response();
  std::optional<std::chrono::milliseconds> wait;
  if (auto w = req.query_param("wait")) {
    if (*w != "ready") {
      return Problem::bad_request("wait must be 'ready'", {{"wait", "must be 'ready'"}}).response();
    }
    wait = std::chrono::seconds(60);
    if (auto t = req.query_param("timeout")) {
      wait = parse_duration(*t);
      if (!wait || *wait > deps_.max_wait || wait->count() == 0) {
        return Problem::bad_request("timeout must be like 60s or 1500ms, at most " +
                                        std::to_string(deps_.max_wait.count() / 1000) + "s",
                                    {{"timeout", "bad duration"}})
            .response();
      }
    }
  }
  auto body = rest::parse_json_body(req.body);
  if (!body) return body.error().response();
  auto spec = parse_vm_spec(*body);
  if (!spec) return spec.error().response();

  // The create goes to its size class's subject (the workers' class table,
  // AETHER_VM_CLASSES), so only a worker with room for a VM of that size fetches it.
  std::string subject(bus::kVmCreateSubject);
  if (!deps_.vm_classes.empty()) {
    const auto& klass =
        deps_.vm_classes[bus::vm_class_index(deps_.vm_classes, spec->vcpus(), spec->memory_mib())];
    if (deps_.worker_classes != nullptr) {
      if (auto why = deps_.worker_classes->unserved(klass.name)) {
        // Nothing is written or queued: the create would wait in AETHER_CMDS for good.
        return Problem::unavailable(*why, 30).response();
      }
    }
    subject = bus::vm_create_class_subject(klass.name);
  }

  NewVm row{.id = new_uuid_v7(),
            .tenant_id = who.tenant_id,
            .spec_json = spec_to_json(*spec),
            .vcpus = spec->vcpus(),
            .memory_mib = spec->memory_mib()};
  auto written = deps_.vms.create_pending(row, deps_.quotas);
  if (!written) return store_problem(written.error()).response();

  // The row exists before the command: a GET right after this POST finds it.
  v1::CreateVm command;
  command.set_vm_id(row.id);
  command.set_tenant(who.tenant_id);
  command.set_request_id(req.request_id);
  *command.mutable_spec() = *spec;
  *command.mutable_requested_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  bus::JsPublishOptions options{
      .tenant = who.tenant_id, .msg_id = req.request_id, .timeout = deps_.bus_timeout};
  auto ack = deps_.bus.js_publish(subject, command, options);
  if (!ack) {
    spdlog::warn("api: CreateVm for {} not stored by JetStream: {}", row.id, ack.error().message);
    (void)deps_.vms.mark_failed(who.tenant_id, row.id,
                                "the create command could not be queued: " + ack.error().message);
    if (deps_.vm_cache != nullptr) deps_.vm_cache->invalidate(row.id);
    return Problem::unavailable("NATS JetStream did not take the create command", 2).response();
  }
  if (wait) return wait_ready(req, who, std::move(*written), *wait);
  return Response::json(202, vm_to_json(*written)).with_header("Location", "/v1/vms/" + row.id);
}

Response VmRoutes::wait_ready(const rest::Request& req, const Principal& who, VmRecord vm,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(50);
  while (!finished_state(vm.state) && std::chrono::steady_clock::now() < deadline &&
         !req.server_stopping()) {
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
    auto now = deps_.vms.get(who.tenant_id, vm.id);
    if (now && *now) vm = std::move(**now);
  }
  const int status = finished_state(vm.state) ? 200 : 504;
  return Response::json(status, vm_to_json(vm)).with_header("Location", "/v1/vms/" + vm.id);
}

Response VmRoutes::list(rest::Request& req, const Principal& who) {
  VmListQuery query;
  std::vector<rest::FieldError> errors;
  if (auto s = req.query_param("state")) {
    if (!valid_vm_state(*s)) errors.push_back({"state", "unknown state '" + *s + "'"});
    query.state = *s;
  }
  for (const auto& label : req.query_params("label")) {
    const auto eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      errors.push_back({"label", "must be key=value, got '" + label + "'"});
      continue;
    }
    query.labels[label.substr(0, eq)] = label.substr(eq + 1);
  }
  if (auto l = req.query_param("limit")) {
    int n = 0;
    auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
    if (ec != std::errc() || end != l->data() + l->size() || n < 1 || n > kMaxPageSize) {
      errors.push_back(
          {"limit", "must be an integer between 1 and " + std::to_string(kMaxPageSize)});
    }
    query.limit = n;
  }
  query.cursor = req.query_param("cursor").value_or("");
  if (!errors.empty()) return Problem::bad_request("invalid query", errors).response();
  auto page = deps_.vms.list(who.tenant_id, query);
  if (!page) {
    if (page.error().code == StoreErrc::kInvalid) {
      return Problem::bad_request(page.error().message,
                                  {{page.error().field, page.error().message}})
          .response();
    }
    return store_problem(page.error()).response();
  }
  json vms = json::array();
  for (const auto& vm : page->vms) vms.push_back(vm_to_json(vm));
  return Response::json(
      200,
      {{"vms", vms}, {"nextCursor", page->next_cursor ? json(*page->next_cursor) : json(nullptr)}});
}

Response VmRoutes::get(rest::Request& req, const Principal& who) {
  auto vm = find(req, who, /*cached=*/true);
  if (!vm) return std::move(vm.error());
  return Response::json(200, vm_to_json(*vm));
}

std::optional<Response> VmRoutes::get_cached(const rest::Request& req, const Principal& who) {
  const std::string id = req.param("id");
  if (!is_uuid(id)) return bad_vm_id(id);
  if (deps_.vm_cache == nullptr) return std::nullopt;
  auto vm = deps_.vm_cache->peek(who.tenant_id, id);
  if (!vm) return std::nullopt;
  if (!*vm) return no_vm(id);
  return Response::json(200, vm_to_json(**vm));
}

Response VmRoutes::command(const rest::Request& req, const Principal& who, std::string_view op,
                           const google::protobuf::Message& message,
                           std::chrono::milliseconds timeout) {
  auto vm = find(req, who);
  if (!vm) return std::move(vm.error());
  if (vm->state == "DELETED") {
    return Problem::conflict("VM " + vm->id + " is already deleted").response();
  }
  const std::string subject = "aether.vm." + vm->id + "." + std::string(op);
  v1::VmOpReply reply;
  auto r = deps_.bus.request(
      subject, message, reply,
      {.timeout = timeout.count() > 0 ? timeout : deps_.bus_timeout, .tenant = who.tenant_id});
  if (!r) {
    if (r.error().code == bus::Errc::kNoResponders) return UnheldVm(deps_).answer(op, *vm, who);
    return bus_problem(r.error(), "no worker holds VM " + vm->id + " (state " + vm->state + ")")
        .response();
  }
  const std::string replied =
      v1::VmState_Name(reply.state()).substr(std::string_view("VM_STATE_").size());
  auto now = deps_.vms.get(who.tenant_id, vm->id);
  // The row is the projection of the worker's events and may be a moment
  // behind its reply. A pause or resume answers with the settled state
  // (PAUSED, READY): wait, bounded, until the row has caught up, so that an
  // exec right after a resume finds the VM READY rather than RESUMING.
  std::vector<std::string_view> behind;
  if (op == "pause") behind = {"READY", "PAUSING"};
  if (op == "resume") behind = {"PAUSED", "RESUMING"};
  const auto deadline = std::chrono::steady_clock::now() + kProjectionCatchUp;
  auto pause = std::chrono::milliseconds(10);
  while (now && *now && (*now)->state != replied &&
         std::find(behind.begin(), behind.end(), (*now)->state) != behind.end() &&
         std::chrono::steady_clock::now() < deadline && !req.server_stopping()) {
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
    now = deps_.vms.get(who.tenant_id, vm->id);
  }
  VmRecord shown = now && *now ? std::move(**now) : std::move(*vm);
  json body = vm_to_json(shown);
  body["state"] = replied;
  return Response::json(202, body);
}

Response VmRoutes::stop(rest::Request& req, const Principal& who) {
  if (auto p = rest::require_json_content_type(req)) return p->response();
  auto body = rest::parse_json_body(req.body);
  if (!body) return body.error().response();
  rest::FieldReader r(*body);
  v1::StopVm stop;
  stop.set_grace_seconds(static_cast<std::uint32_t>(r.uint("graceSeconds", 0, 300).value_or(10)));
  if (auto p = r.finish("invalid stop request")) return p->response();
  return command(req, who, "stop", stop);
}

Response VmRoutes::remove(rest::Request& req, const Principal& who) {
  return command(req, who, "delete", v1::DeleteVm());
}

Response VmRoutes::events(rest::Request& req, const Principal& who) {
  const std::string id = req.param("id");
  if (!is_uuid(id)) return bad_vm_id(id);
  auto events = deps_.vms.events(who.tenant_id, id);
  if (!events) return store_problem(events.error()).response();
  if (!*events) return no_vm(id);
  json list = json::array();
  for (const auto& e : **events) list.push_back(event_to_json(e));
  return Response::json(200, {{"events", list}});
}

}  // namespace aether::api
