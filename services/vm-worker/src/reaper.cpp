// Reaper: TTL, idle, dead hypervisors, retention, gauges.
#include "reaper.hpp"

#include <map>

#include "vm_state.hpp"

namespace aether::worker {

void Reaper::loop(std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(m);
      cv.wait_for(lock, stop, config_.reap_interval, [] { return false; });
    }
    if (stop.stop_requested()) break;
    reap_once();
    update_metrics();
  }
}

void Reaper::reap_once() {
  registry_.clear_graveyard();
  const auto now = Clock::now();
  for (const auto& hosted : registry_.all()) {
    std::string stop_reason;
    std::string fail_reason;
    std::string paused_reason;  // a paused VM past its TTL: stopped, its saved state removed
    bool remove = false;
    std::shared_ptr<vmm::Vm> vm;
    {
      std::lock_guard lock(hosted->mutex_);
      const auto& spec = hosted->create.spec();
      if (hosted->state == v1::VM_STATE_READY) {
        vm = hosted->vm;
        if (spec.ttl_seconds() > 0 &&
            now - hosted->ready_steady >= std::chrono::seconds(spec.ttl_seconds())) {
          stop_reason = "ttl of " + std::to_string(spec.ttl_seconds()) + " s expired";
        } else if (spec.idle_timeout_seconds() > 0 && hosted->active_ops == 0 &&
                   now - hosted->last_activity >=
                       std::chrono::seconds(spec.idle_timeout_seconds())) {
          stop_reason = "idle for " + std::to_string(spec.idle_timeout_seconds()) + " s";
        }
      } else if (hosted->state == v1::VM_STATE_PAUSED) {
        // The TTL keeps running while paused (pauser.hpp); the idle timeout does not.
        if (spec.ttl_seconds() > 0 &&
            now - hosted->ready_steady >= std::chrono::seconds(spec.ttl_seconds())) {
          paused_reason =
              "ttl of " + std::to_string(spec.ttl_seconds()) + " s expired while paused";
        }
      } else if ((hosted->state == v1::VM_STATE_STOPPED || hosted->state == v1::VM_STATE_FAILED) &&
                 now - hosted->finished_at >= config_.stopped_retention) {
        remove = true;
      }
    }
    if (vm && stop_reason.empty()) {
      if (auto st = vm->status(); st.state != vmm::VmState::kRunning) {
        fail_reason = "hypervisor gone: " + st.detail;
      }
    }
    if (!paused_reason.empty()) {
      lifecycle_.stop_paused(hosted, paused_reason);
    } else if (!fail_reason.empty()) {
      lifecycle_.fail_vm(hosted, fail_reason);
    } else if (!stop_reason.empty()) {
      lifecycle_.stop_vm(hosted, stop_reason);
    } else if (remove) {
      lifecycle_.delete_vm(hosted, "retention of stopped VMs expired");
    }
  }
}

void Reaper::update_metrics() {
  std::map<v1::VmState, int> counts;
  for (auto s : {v1::VM_STATE_SCHEDULED, v1::VM_STATE_BOOTING, v1::VM_STATE_READY,
                 v1::VM_STATE_STOPPING, v1::VM_STATE_STOPPED, v1::VM_STATE_FAILED}) {
    counts[s] = 0;
  }
  for (const auto& vm : registry_.all()) {
    std::lock_guard lock(vm->mutex_);
    counts[vm->state]++;
  }
  for (const auto& [state, n] : counts) {
    metrics_.vms.labels({std::string(state_token(state))}).set(n);
  }
  const auto used = ledger_.used();
  metrics_.used.labels({"vcpus"}).set(used.vcpus);
  metrics_.used.labels({"memory_mib"}).set(static_cast<double>(used.memory_mib));
  metrics_.used.labels({"vms"}).set(used.vms);
  metrics_.capacity.labels({"vcpus"}).set(config_.capacity.vcpus);
  metrics_.capacity.labels({"memory_mib"}).set(static_cast<double>(config_.capacity.memory_mib));
  metrics_.capacity.labels({"vms"}).set(config_.capacity.vms);
  metrics_.warm_pool.set(static_cast<double>(registry_.pool_size()));
}

}  // namespace aether::worker
