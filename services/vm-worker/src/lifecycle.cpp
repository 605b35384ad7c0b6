// Lifecycle: transitions, events, stop/fail/delete, releasing resources.
#include "lifecycle.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "vm_state.hpp"

namespace aether::worker {

using google::protobuf::util::TimeUtil;

std::pair<std::string, bool> runtime_facts(std::string_view name) {
  if (name.starts_with("qemu")) return {"qemu", name == "qemu-kvm"};
  return {std::string(name), true};
}

bool Lifecycle::transition(HostedVm& vm, v1::VmState to, const std::string& reason) {
  std::unique_lock lock(vm.mutex_);
  return transition_locked(vm, lock, to, reason);
}

bool Lifecycle::transition_locked(HostedVm& vm, std::unique_lock<std::mutex>&, v1::VmState to,
                                  const std::string& reason) {
  const auto from = vm.state;
  if (!transition_allowed(from, to)) {
    spdlog::warn("vm-worker: VM {}: {} -> {} refused", vm.create.vm_id(), state_token(from),
                 state_token(to));
    return false;
  }
  vm.state = to;
  if (to == v1::VM_STATE_STOPPED || to == v1::VM_STATE_FAILED) vm.finished_at = Clock::now();
  v1::VmEvent event;
  event.set_vm_id(vm.create.vm_id());
  event.set_tenant(vm.create.tenant());
  event.set_state(to);
  event.set_previous_state(from);
  event.set_reason(reason);
  event.set_worker_id(config_.worker_id);
  event.set_node(config_.node);
  *event.mutable_at() = TimeUtil::GetCurrentTime();
  if (vm.trace_parent) {
    event.set_traceparent(trace::format_traceparent(*vm.trace_parent));
    event.set_tracestate(vm.trace_parent->tracestate);
  }
  *event.mutable_spec() = vm.create.spec();
  if (vm.network) event.set_guest_address(vm.network->guest_address);
  auto [runtime, accelerated] = runtime_facts(runtime_name_);
  event.set_runtime(runtime);
  event.set_accelerated(accelerated);
  if (to == v1::VM_STATE_FAILED) {
    spdlog::warn("vm-worker: VM {} FAILED: {}", vm.create.vm_id(), reason);
  } else {
    spdlog::info("vm-worker: VM {} {} -> {}{}", vm.create.vm_id(), state_token(from),
                 state_token(to), reason.empty() ? "" : " (" + reason + ")");
  }
  events_->publish(std::move(event));
  return true;
}

bool Lifecycle::fail_unhosted(const v1::CreateVm& create, v1::VmState previous,
                              const std::string& reason) {
  HostedVm lost(create.vm_id(), {}, {});
  std::unique_lock lock(lost.mutex_);
  lost.create = create;
  lost.state = previous;
  lost.resources_released = true;
  return transition_locked(lost, lock, v1::VM_STATE_FAILED, reason);
}

void Lifecycle::release_network(HostedVm& vm) {
  if (!vm.network || !network_) return;
  if (auto d = network_->detach(vm.network->vm_id); !d) {
    spdlog::warn("vm-worker: VM {}: {}", vm.network->vm_id, d.error().message);
  }
  vm.network.reset();
}

void Lifecycle::release_resources(HostedVm& vm) {
  release_network(vm);
  if (vm.resources_released) return;
  vm.resources_released = true;
  ledger_.release(vm.reserved());
  slots_.room_changed();
}

void Lifecycle::stop_vm(const std::shared_ptr<HostedVm>& hosted, const std::string& reason,
                        std::optional<std::chrono::milliseconds> grace) {
  std::shared_ptr<vmm::Vm> vm;
  {
    std::unique_lock lock(hosted->mutex_);
    if (hosted->state != v1::VM_STATE_READY) return;
    transition_locked(*hosted, lock, v1::VM_STATE_STOPPING, reason);
    vm = hosted->vm;
  }
  std::string outcome;
  if (vm) {
    const auto bound = grace.value_or(config_.limits.default_stop_grace);
    const auto ms = bound.count();
    const std::string span =
        ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
    outcome = "; the guest powered off";
    if (auto s = vm->shutdown(bound); !s) {
      outcome =
          s.error().code == vmm::Errc::kTimeout
              ? "; the guest did not power off within the grace period of " + span + ": killed"
              : "; graceful shutdown failed (" + s.error().message + "): killed";
      spdlog::warn("vm-worker: VM {}{}", hosted->id(), outcome);
      vm->kill();
    }
  }
  std::unique_lock lock(hosted->mutex_);
  hosted->vm.reset();
  release_resources(*hosted);
  transition_locked(*hosted, lock, v1::VM_STATE_STOPPED, reason + outcome);
}

void Lifecycle::fail_vm(const std::shared_ptr<HostedVm>& hosted, const std::string& reason) {
  std::shared_ptr<vmm::Vm> vm;
  {
    std::unique_lock lock(hosted->mutex_);
    if (!transition_locked(*hosted, lock, v1::VM_STATE_FAILED, reason)) return;
    vm = std::move(hosted->vm);
    release_resources(*hosted);
  }
  if (vm) vm->kill();
}

void Lifecycle::stop_paused(const std::shared_ptr<HostedVm>& hosted, const std::string& reason) {
  std::unique_lock lock(hosted->mutex_);
  if (hosted->state != v1::VM_STATE_PAUSED) return;
  transition_locked(*hosted, lock, v1::VM_STATE_STOPPING, reason);
  vmm::discard_pause(hosted->dir());
  release_resources(*hosted);  // the ledger was given back at pause; the network goes now
  transition_locked(*hosted, lock, v1::VM_STATE_STOPPED, reason + "; its saved state removed");
}

void Lifecycle::delete_vm(const std::shared_ptr<HostedVm>& hosted, const std::string& reason) {
  std::shared_ptr<vmm::Vm> vm;
  {
    std::unique_lock lock(hosted->mutex_);
    if (hosted->state == v1::VM_STATE_DELETED) return;
    if (hosted->state == v1::VM_STATE_READY || hosted->state == v1::VM_STATE_PAUSED) {
      transition_locked(*hosted, lock, v1::VM_STATE_STOPPING, reason);
    }
    vm = std::move(hosted->vm);
  }
  if (vm) vm->kill();  // a deleted VM's disk state is gone anyway: no graceful shutdown
  std::vector<bus::Subscription> subs;
  {
    std::unique_lock lock(hosted->mutex_);
    release_resources(*hosted);
    if (hosted->state == v1::VM_STATE_STOPPING) {
      transition_locked(*hosted, lock, v1::VM_STATE_STOPPED, reason);
    }
    if (hosted->state == v1::VM_STATE_SCHEDULED || hosted->state == v1::VM_STATE_BOOTING) {
      transition_locked(*hosted, lock, v1::VM_STATE_FAILED, reason);
    }
    transition_locked(*hosted, lock, v1::VM_STATE_DELETED, reason);
    subs = std::move(hosted->subscriptions);
  }
  std::error_code ec;
  std::filesystem::remove_all(hosted->dir(), ec);
  // Unsubscribing here could be from inside one of these subscriptions'
  // handlers (a delete request): the reaper drops them later.
  registry_.remove(hosted->create.vm_id(), std::move(subs));
}

void Lifecycle::publish_worker_event(v1::WorkerState state, const std::string& reason) {
  v1::WorkerEvent e;
  e.set_worker_id(config_.worker_id);
  e.set_node(config_.node);
  e.set_state(state);
  e.set_reason(reason);
  *e.mutable_at() = TimeUtil::GetCurrentTime();
  events_->publish(std::move(e));
}

}  // namespace aether::worker
