// OpsRouter: request handlers for aether.vm.<id>.*.
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include "aether/bus/serve.hpp"
#include "ops_router.hpp"
#include "vm_state.hpp"

namespace aether::worker {

using google::protobuf::util::TimeUtil;

namespace {

// Marks a VM busy for the idle timeout while an operation runs.
class ActivityGuard {
 public:
  explicit ActivityGuard(HostedVm& vm) : vm_(vm) {
    std::lock_guard lock(vm_.mutex_);
    ++vm_.active_ops;
    vm_.last_activity = Clock::now();
  }
  ~ActivityGuard() {
    std::lock_guard lock(vm_.mutex_);
    --vm_.active_ops;
    vm_.last_activity = Clock::now();
  }
  ActivityGuard(const ActivityGuard&) = delete;
  ActivityGuard& operator=(const ActivityGuard&) = delete;

 private:
  HostedVm& vm_;
};

bool kills_vm(vmm::Errc code) {
  return code == vmm::Errc::kVmDead || code == vmm::Errc::kTimeout || code == vmm::Errc::kProtocol;
}

}  // namespace

Result<void> OpsRouter::subscribe(const std::shared_ptr<HostedVm>& hosted) {
  std::string vm_id;
  {
    std::lock_guard lock(hosted->mutex_);
    vm_id = hosted->create.vm_id();
  }
  const std::string prefix = "aether.vm." + vm_id + ".";

  // A READY VM and its Vm handle, or the error reply explaining why not.
  auto ready_vm =
      [this,
       vm_id]() -> bus::Result<std::pair<std::shared_ptr<HostedVm>, std::shared_ptr<vmm::Vm>>> {
    auto hosted = registry_.find(vm_id);
    if (!hosted) return bus::service_error(404, "vm " + vm_id + " is not on this worker");
    std::lock_guard lock(hosted->mutex_);
    if (hosted->state != v1::VM_STATE_READY || !hosted->vm) {
      return bus::service_error(
          409, "vm " + vm_id + " is " + std::string(state_token(hosted->state)) + ", not ready");
    }
    return std::pair{hosted, hosted->vm};
  };
  auto vm_failure = [this, vm_id](const vmm::Error& e,
                                  const std::shared_ptr<HostedVm>& hosted) -> bus::Error {
    if (kills_vm(e.code)) {
      lifecycle_.fail_vm(hosted, std::string("guest lost: ") + e.message);
      return bus::Error{bus::Errc::kServiceError, "vm " + vm_id + " failed: " + e.message, 503};
    }
    if (e.code == vmm::Errc::kGuestError || e.code == vmm::Errc::kInvalidConfig) {
      return bus::Error{bus::Errc::kServiceError, e.message, 400};
    }
    return bus::Error{bus::Errc::kServiceError, e.message, 500};
  };

  std::vector<bus::Subscription> subs;
  auto add = [&](bus::Result<bus::Subscription> s) -> Result<void> {
    if (!s) return fail(Errc::kBus, s.error().message);
    subs.push_back(std::move(*s));
    return {};
  };
  auto opts = [](std::string op) {
    return bus::ServeOptions{.service = "vm-worker", .operation = std::move(op)};
  };

  if (auto r = add(bus::serve<v1::ExecRequest, v1::ExecReply>(
          connection_, prefix + "exec", opts("exec"),
          [this, ready_vm, vm_failure](const v1::ExecRequest& req, const bus::RequestContext& ctx)
              -> bus::Result<v1::ExecReply> {
            auto got = ready_vm();
            if (!got) return std::unexpected(got.error());
            auto& [hosted, vm] = *got;
            if (req.argv().empty()) return bus::service_error(400, "argv is empty: name a program");
            const auto max_ms = config_.limits.max_exec_timeout.count();
            if (req.timeout_ms() > max_ms) {
              return bus::service_error(400, "timeout_ms " + std::to_string(req.timeout_ms()) +
                                                 " is over this worker's limit of " +
                                                 std::to_string(max_ms));
            }
            ActivityGuard busy(*hosted);
            v1::ExecRequest request = req;
            {
              std::lock_guard lock(hosted->mutex_);
              for (const auto& [k, v] : hosted->create.spec().env()) {
                request.mutable_env()->insert({k, v});  // the request's own values win
              }
            }
            // The current span: vmm hands its context to the agent and
            // exports the agent's own span as its child.
            trace::Span span("vm-worker exec", trace::SpanKind::kInternal);
            auto scope = span.activate();
            span.set_attribute("vm.id", hosted->create.vm_id());
            const std::string inbox = req.stream_inbox();
            vmm::OutputCallback on_output;
            if (!inbox.empty()) {
              on_output = [this, inbox, ct = ctx.content_type](const v1::ExecOutputChunk& c) {
                if (auto p = connection_.publish(inbox, c, {.content_type = ct}); !p) {
                  spdlog::warn("vm-worker: streaming to {} failed: {}", inbox, p.error().message);
                }
                return true;
              };
            }
            const auto started = Clock::now();
            auto reply = vm->exec(std::move(request), on_output);
            metrics_.exec_seconds.observe(
                std::chrono::duration<double>(Clock::now() - started).count());
            if (!reply) {
              span.set_error(reply.error().message);
              return std::unexpected(vm_failure(reply.error(), hosted));
            }
            if (reply->timed_out()) span.set_attribute("exec.timed_out", true);
            span.set_attribute("exec.exit_code", static_cast<std::int64_t>(reply->exit_code()));
            return std::move(*reply);
          }));
      !r) {
    return r;
  }

  if (auto r = add(bus::serve<v1::FilePut, v1::FilePutReply>(
          connection_, prefix + "files.put", opts("files.put"),
          [this, ready_vm, vm_failure](
              const v1::FilePut& put, const bus::RequestContext&) -> bus::Result<v1::FilePutReply> {
            auto got = ready_vm();
            if (!got) return std::unexpected(got.error());
            auto& [hosted, vm] = *got;
            if (put.path().empty() || put.path()[0] != '/') {
              return bus::service_error(400, "path '" + put.path() + "' must be absolute");
            }
            if (put.content().size() > config_.limits.max_file_bytes) {
              return bus::service_error(400, "content of " + std::to_string(put.content().size()) +
                                                 " bytes is over the limit of " +
                                                 std::to_string(config_.limits.max_file_bytes));
            }
            ActivityGuard busy(*hosted);
            auto reply = vm->put_file(put);
            if (!reply) return std::unexpected(vm_failure(reply.error(), hosted));
            return std::move(*reply);
          }));
      !r) {
    return r;
  }

  if (auto r = add(bus::serve<v1::FileGet, v1::FileGetReply>(
          connection_, prefix + "files.get", opts("files.get"),
          [this, ready_vm, vm_failure](
              const v1::FileGet& get, const bus::RequestContext&) -> bus::Result<v1::FileGetReply> {
            auto got = ready_vm();
            if (!got) return std::unexpected(got.error());
            auto& [hosted, vm] = *got;
            if (get.path().empty() || get.path()[0] != '/') {
              return bus::service_error(400, "path '" + get.path() + "' must be absolute");
            }
            if (get.max_bytes() > config_.limits.max_file_bytes) {
              return bus::service_error(400, "max_bytes " + std::to_string(get.max_bytes()) +
                                                 " is over the limit of " +
                                                 std::to_string(config_.limits.max_file_bytes));
            }
            v1::FileGet request = get;
            if (request.max_bytes() == 0) request.set_max_bytes(config_.limits.max_file_bytes);
            ActivityGuard busy(*hosted);
            auto reply = vm->get_file(request);
            if (!reply) return std::unexpected(vm_failure(reply.error(), hosted));
            return std::move(*reply);
          }));
      !r) {
    return r;
  }

  if (auto r = add(bus::serve<v1::VmStatusRequest, v1::VmStatusReply>(
          connection_, prefix + "status", opts("status"),
          [this, vm_id](const v1::VmStatusRequest&,
                        const bus::RequestContext&) -> bus::Result<v1::VmStatusReply> {
            auto hosted = registry_.find(vm_id);
            if (!hosted) return bus::service_error(404, "vm " + vm_id + " is not on this worker");
            std::lock_guard lock(hosted->mutex_);
            v1::VmStatusReply reply;
            reply.set_vm_id(vm_id);
            reply.set_state(hosted->state);
            reply.set_worker_id(config_.worker_id);
            reply.set_node(config_.node);
            *reply.mutable_spec() = hosted->create.spec();
            if (hosted->network) reply.set_guest_address(hosted->network->guest_address);
            *reply.mutable_created_at() =
                TimeUtil::TimeTToTimestamp(WallClock::to_time_t(hosted->created_at));
            if (hosted->ready_at) {
              *reply.mutable_ready_at() =
                  TimeUtil::TimeTToTimestamp(WallClock::to_time_t(*hosted->ready_at));
            }
            const auto idle = Clock::now() - hosted->last_activity;
            *reply.mutable_last_activity_at() = TimeUtil::TimeTToTimestamp(WallClock::to_time_t(
                WallClock::now() - std::chrono::duration_cast<WallClock::duration>(idle)));
            return reply;
          }));
      !r) {
    return r;
  }

  if (auto r = add(bus::serve<v1::StopVm, v1::VmOpReply>(
          connection_, prefix + "stop", opts("stop"),
          [this, vm_id](const v1::StopVm& req,
                        const bus::RequestContext&) -> bus::Result<v1::VmOpReply> {
            auto hosted = registry_.find(vm_id);
            if (!hosted) return bus::service_error(404, "vm " + vm_id + " is not on this worker");
            const auto max_s = config_.limits.max_stop_grace.count() / 1000;
            if (req.grace_seconds() > max_s) {
              return bus::service_error(
                  400, "grace_seconds " + std::to_string(req.grace_seconds()) +
                           " is over this worker's limit of " + std::to_string(max_s) +
                           " (AETHER_STOP_MAX_GRACE)");
            }
            const auto grace = req.grace_seconds() == 0
                                   ? config_.limits.default_stop_grace
                                   : std::chrono::milliseconds(req.grace_seconds() * 1000LL);
            v1::VmState state;
            {
              std::lock_guard lock(hosted->mutex_);
              state = hosted->state;
            }
            if (state == v1::VM_STATE_READY) {
              lifecycle_.stop_vm(hosted, "stop requested", grace);
            } else if (state == v1::VM_STATE_PAUSED) {
              lifecycle_.stop_paused(hosted, "stop requested while paused");
            } else if (state != v1::VM_STATE_STOPPED && state != v1::VM_STATE_STOPPING) {
              return bus::service_error(409, "vm " + vm_id + " is " +
                                                 std::string(state_token(state)) +
                                                 ": only a ready VM can be stopped");
            }
            v1::VmOpReply reply;
            reply.set_vm_id(vm_id);
            std::lock_guard lock(hosted->mutex_);
            reply.set_state(hosted->state);
            return reply;
          }));
      !r) {
    return r;
  }

  if (auto r = add(bus::serve<v1::DeleteVm, v1::VmOpReply>(
          connection_, prefix + "delete", opts("delete"),
          [this, vm_id](const v1::DeleteVm&,
                        const bus::RequestContext&) -> bus::Result<v1::VmOpReply> {
            auto hosted = registry_.find(vm_id);
            if (!hosted) return bus::service_error(404, "vm " + vm_id + " is not on this worker");
            {
              std::lock_guard lock(hosted->mutex_);
              if (hosted->state == v1::VM_STATE_SCHEDULED ||
                  hosted->state == v1::VM_STATE_BOOTING) {
                return bus::service_error(409, "vm " + vm_id + " is still booting");
              }
              if (hosted->state == v1::VM_STATE_PAUSING || hosted->state == v1::VM_STATE_RESUMING) {
                return bus::service_error(409, "vm " + vm_id + " is " +
                                                   std::string(state_token(hosted->state)) +
                                                   "; delete it when that ends");
              }
            }
            lifecycle_.delete_vm(hosted, "delete requested");
            v1::VmOpReply reply;
            reply.set_vm_id(vm_id);
            reply.set_state(v1::VM_STATE_DELETED);
            return reply;
          }));
      !r) {
    return r;
  }

  for (const char* op : {"pause", "resume"}) {
    const bool pause = std::string_view(op) == "pause";
    if (auto r = add(pause ? bus::serve<v1::PauseVm, v1::VmOpReply>(
                                 connection_, prefix + op, opts(op),
                                 [this, vm_id](const v1::PauseVm&, const bus::RequestContext&) {
                                   return pauser_.pause(vm_id);
                                 })
                           : bus::serve<v1::ResumeVm, v1::VmOpReply>(
                                 connection_, prefix + op, opts(op),
                                 [this, vm_id](const v1::ResumeVm&, const bus::RequestContext&) {
                                   return pauser_.resume(vm_id);
                                 }));
        !r) {
      return r;
    }
  }

  std::lock_guard lock(hosted->mutex_);
  for (auto& s : subs) hosted->subscriptions.push_back(std::move(s));
  return {};
}

}  // namespace aether::worker
