// Pauser: see pauser.hpp.
#include <spdlog/spdlog.h>

#include "aether/bus/serve.hpp"
#include "pauser.hpp"
#include "spec_rules.hpp"
#include "vm_state.hpp"

namespace aether::worker {
namespace {

v1::VmOpReply op_reply(const std::string& vm_id, v1::VmState state) {
  v1::VmOpReply reply;
  reply.set_vm_id(vm_id);
  reply.set_state(state);
  return reply;
}

}  // namespace

bus::Result<v1::VmOpReply> Pauser::pause(const std::string& vm_id) {
  auto hosted = registry_.find(vm_id);
  if (!hosted) return bus::service_error(404, "vm " + vm_id + " is not on this worker");
  std::shared_ptr<vmm::Vm> vm;
  {
    std::unique_lock lock(hosted->mutex_);
    if (hosted->state == v1::VM_STATE_PAUSED) return op_reply(vm_id, hosted->state);
    if (hosted->state != v1::VM_STATE_READY || !hosted->vm) {
      return bus::service_error(409, "vm " + vm_id + " is " +
                                         std::string(state_token(hosted->state)) +
                                         ": only a ready VM can be paused");
    }
    if (hosted->active_ops > 0) {
      return bus::service_error(409, "vm " + vm_id + " is running " +
                                         std::to_string(hosted->active_ops) +
                                         " exec/file operation(s); pause it when they end");
    }
    lifecycle_.transition_locked(*hosted, lock, v1::VM_STATE_PAUSING, "pause requested");
    vm = hosted->vm;
  }
  const auto started = Clock::now();
  auto paused = vm->pause();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  std::unique_lock lock(hosted->mutex_);
  if (!paused && paused.error().code == vmm::Errc::kUnsupported) {
    lifecycle_.transition_locked(*hosted, lock, v1::VM_STATE_READY,
                                 "not paused: " + paused.error().message);
    return bus::service_error(409,
                              "vm " + vm_id + " cannot be paused here: " + paused.error().message);
  }
  hosted->vm.reset();
  if (!paused) {
    lock.unlock();
    lifecycle_.fail_vm(hosted, "pause failed: " + paused.error().message);
    return bus::service_error(500, "vm " + vm_id + ": pause failed: " + paused.error().message);
  }
  // The room goes back; the network (TAP, address, rules) stays for the resume.
  if (!hosted->resources_released) {
    hosted->resources_released = true;
    ledger_.release(hosted->reserved());
  }
  lifecycle_.transition_locked(
      *hosted, lock, v1::VM_STATE_PAUSED,
      "paused in " + std::to_string(ms) + " ms; its state is on worker " + config_.worker_id);
  lock.unlock();
  slots_.room_changed();
  return op_reply(vm_id, v1::VM_STATE_PAUSED);
}

bus::Result<v1::VmOpReply> Pauser::resume(const std::string& vm_id) {
  auto hosted = registry_.find(vm_id);
  if (!hosted) return bus::service_error(404, "vm " + vm_id + " is not on this worker");
  {
    std::unique_lock lock(hosted->mutex_);
    if (hosted->state == v1::VM_STATE_READY) return op_reply(vm_id, hosted->state);
    if (hosted->state != v1::VM_STATE_PAUSED) {
      return bus::service_error(409, "vm " + vm_id + " is " +
                                         std::string(state_token(hosted->state)) +
                                         ": only a paused VM can be resumed");
    }
    if (!pool_.reserve_with_eviction(hosted->reserved())) {
      return bus::service_error(409, "no room on worker " + config_.worker_id + " to resume vm " +
                                         vm_id + " (" + describe(hosted->reserved()) +
                                         "; free now " + describe(ledger_.free()) +
                                         "); it stays paused: retry when VMs there have ended");
    }
    hosted->resources_released = false;
    lifecycle_.transition_locked(*hosted, lock, v1::VM_STATE_RESUMING, "resume requested");
  }
  auto config = vmm::read_pause_record(hosted->dir());
  vmm::Result<std::unique_ptr<vmm::Vm>> resumed =
      config ? [&] {
        config->boot_timeout = config_.boot_timeout;
        config->default_exec_timeout = config_.limits.default_exec_timeout;
        config->max_collected_output = config_.limits.max_file_bytes;
        return runtime_.resume(*config);
      }()
             : std::unexpected(config.error());
  std::unique_lock lock(hosted->mutex_);
  if (!resumed) {
    const std::string why = resumed.error().message;
    if (vmm::is_paused(hosted->dir())) {  // refused before the guest ran: still resumable
      hosted->resources_released = true;
      ledger_.release(hosted->reserved());
      lifecycle_.transition_locked(*hosted, lock, v1::VM_STATE_PAUSED,
                                   "resume failed, still paused: " + why);
      lock.unlock();
      slots_.room_changed();
      return bus::service_error(503,
                                "vm " + vm_id + ": resume failed (" + why + "); it stays paused");
    }
    lock.unlock();
    lifecycle_.fail_vm(hosted, "resume failed: " + why);
    return bus::service_error(500, "vm " + vm_id + ": resume failed: " + why);
  }
  hosted->vm = std::shared_ptr<vmm::Vm>(std::move(*resumed));
  hosted->last_activity = Clock::now();
  lifecycle_.transition_locked(
      *hosted, lock, v1::VM_STATE_READY,
      "resumed in " + std::to_string(hosted->vm->boot_time().count() / 1000) + " ms");
  return op_reply(vm_id, v1::VM_STATE_READY);
}

std::shared_ptr<HostedVm> Pauser::adoptable(const std::filesystem::path& dir,
                                            const v1::CreateVm& create, std::string& why) const {
  if (!vmm::is_paused(dir)) return nullptr;
  if (create.spec().network()) {
    why = "worker " + config_.worker_id +
          " restarted while the VM was paused; a networked VM's TAP does not survive a "
          "restart, so it cannot be resumed: the VM is lost";
    return nullptr;
  }
  auto record = vmm::read_pause_record(dir);
  if (!record) {
    why = "worker " + config_.worker_id + " restarted while the VM was paused, and its saved " +
          "state is unreadable (" + record.error().message + "): the VM is lost";
    return nullptr;
  }
  auto hosted = std::make_shared<HostedVm>(create.vm_id(), dir, resources_of(create.spec()));
  std::lock_guard lock(hosted->mutex_);
  hosted->create = create;
  hosted->state = v1::VM_STATE_PAUSED;
  hosted->resources_released = true;
  hosted->ready_steady = Clock::now();  // its TTL counts from this restart
  return hosted;
}

}  // namespace aether::worker
