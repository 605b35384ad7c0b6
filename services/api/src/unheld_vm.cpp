#include "unheld_vm.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include "aether/bus/jetstream.hpp"
#include "aether/bus/kv.hpp"
#include "aether/rest/problem.hpp"
#include "aether/v1/vm.pb.h"
#include "vm_json.hpp"

namespace aether::api {

using rest::Problem;
using rest::Response;

namespace {

bool nothing_running(const std::string& state) {
  return state == "PENDING" || state == "STOPPED" || state == "FAILED";
}

}  // namespace

UnheldVm::Holder UnheldVm::holder(const VmRecord& vm, std::string& why) {
  if (!vm.worker_id || vm.worker_id->empty()) return Holder::kNone;
  auto bucket = bus::KvBucket::open(deps_.bus, std::string(bus::kWorkersBucket));
  if (!bucket) {
    why = bucket.error().message;
    return Holder::kUnknown;
  }
  auto entry = bucket->get(*vm.worker_id);
  if (entry) return Holder::kAlive;
  if (entry.error().code == bus::Errc::kNotFound) return Holder::kGone;
  why = entry.error().message;
  return Holder::kUnknown;
}

Response UnheldVm::answer(std::string_view op, const VmRecord& vm, const Principal& who) {
  const std::string id = vm.id;
  const std::string on = vm.worker_id ? " on worker " + *vm.worker_id : std::string();
  const bool pause_or_resume = op == "pause" || op == "resume";
  if (pause_or_resume && (nothing_running(vm.state) || vm.state == "DELETED")) {
    return Problem::conflict("VM " + id + " is " + vm.state + ": nothing to " + std::string(op))
        .response();
  }
  if (op == "stop") {
    if (vm.state == "PENDING") {
      return Problem::conflict("VM " + id +
                               " is PENDING: no worker has taken it yet, so there is nothing to "
                               "stop (DELETE cancels it)")
          .response();
    }
    if (vm.state == "STOPPED" || vm.state == "FAILED") {
      return Problem::conflict("VM " + id + " is already " + vm.state).response();
    }
  } else if (!pause_or_resume && nothing_running(vm.state)) {
    return record_deleted(vm, who,
                          vm.state == "PENDING"
                              ? "deleted while PENDING, before any worker booted it"
                              : "deleted while " + vm.state + " (no worker held it)");
  }
  std::string why;
  switch (holder(vm, why)) {
    case Holder::kAlive: {
      auto p = Problem::unavailable("VM " + id + " is " + vm.state + on +
                                        ", which is alive but not answering for it (restarting "
                                        "or busy); try again",
                                    2);
      return p.response();
    }
    case Holder::kGone:
    case Holder::kNone: {
      const std::string lost = "VM " + id + " was " + vm.state + on +
                               (vm.worker_id ? ", which is gone" : ", and no worker holds it");
      if (op == "delete") return record_deleted(vm, who, lost + "; deleted through the api");
      return Problem::conflict(lost + ": the VM is lost, nothing to " + std::string(op) +
                               " (DELETE removes it)")
          .response();
    }
    case Holder::kUnknown:
      break;
  }
  return Problem::unavailable("no worker answers for VM " + id + " (" + vm.state + on +
                                  ") and the worker registry cannot be read: " + why,
                              2)
      .response();
}

Response UnheldVm::record_deleted(const VmRecord& vm, const Principal& who,
                                  const std::string& reason) {
  v1::VmEvent event;
  event.set_vm_id(vm.id);
  event.set_tenant(who.tenant_id);
  event.set_state(v1::VM_STATE_DELETED);
  v1::VmState previous = v1::VM_STATE_UNSPECIFIED;
  if (v1::VmState_Parse("VM_STATE_" + vm.state, &previous)) event.set_previous_state(previous);
  event.set_reason(reason);
  *event.mutable_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  // One event however many deletes race: JetStream drops the repeats.
  bus::JsPublishOptions options{
      .tenant = who.tenant_id, .msg_id = "api-delete-" + vm.id, .timeout = deps_.bus_timeout};
  auto ack = deps_.bus.js_publish("aether.evt.vm." + vm.id + ".deleted", event, options);
  if (!ack) {
    return Problem::unavailable("NATS JetStream did not take the deletion of VM " + vm.id + ": " +
                                    ack.error().message,
                                2)
        .response();
  }
  spdlog::info("api: VM {} ({}) deleted by the api: {} (event seq {})", vm.id, vm.state, reason,
               ack->sequence);
  auto row = deps_.vms.mark_deleted(who.tenant_id, vm.id, reason,
                                    static_cast<std::int64_t>(ack->sequence));
  if (deps_.vm_cache != nullptr) deps_.vm_cache->invalidate(vm.id);
  if (!row) return store_problem(row.error()).response();
  // A newer event won (a worker took the VM after all): show the row as it is.
  if (*row) return Response::json(202, vm_to_json(**row));
  auto now = deps_.vms.get(who.tenant_id, vm.id);
  return Response::json(202, vm_to_json(now && *now ? **now : vm));
}

}  // namespace aether::api
