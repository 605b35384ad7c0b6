// Worker: the warm pool (booted VMs of one template and size, waiting for a
// create that matches; they count against capacity and are evicted when a
// create needs their room).
#include <spdlog/spdlog.h>

#include <fstream>
#include <random>

#include "worker.hpp"

namespace aether::worker {

bool Worker::pool_matches(const v1::VmSpec& spec) const {
  const auto& p = config_.warm_pool;
  return p.size > 0 && spec.template_() == p.template_name && spec.vcpus() == p.vcpus &&
         spec.memory_mib() == p.memory_mib && !spec.network();
}

void Worker::discard_pool_vm(HostedVm& vm) {
  std::lock_guard lock(vm.mutex_);
  if (vm.vm) vm.vm->kill();
  vm.vm.reset();
  release_resources(vm);
  std::error_code ec;
  std::filesystem::remove_all(vm.dir(), ec);
}

void Worker::empty_pool() {
  std::vector<std::shared_ptr<HostedVm>> pool;
  {
    std::lock_guard lock(vms_mutex_);
    pool.swap(pool_);
  }
  for (auto& p : pool) discard_pool_vm(*p);
}

std::shared_ptr<HostedVm> Worker::take_pool_vm(const v1::VmSpec& spec) {
  if (!pool_matches(spec)) return nullptr;
  std::lock_guard lock(vms_mutex_);
  if (pool_.empty()) return nullptr;
  auto vm = pool_.front();
  pool_.erase(pool_.begin());
  return vm;
}

void Worker::pool_loop(std::stop_token stop) {
  const auto& pc = config_.warm_pool;
  if (pc.size == 0) return;
  std::mt19937_64 rng{std::random_device{}()};
  std::mutex m;
  std::condition_variable_any cv;
  const Resources need{pc.vcpus, pc.memory_mib, 1};
  v1::VmSpec spec;
  spec.set_template_(pc.template_name);
  spec.set_vcpus(pc.vcpus);
  spec.set_memory_mib(pc.memory_mib);
  while (!stop.stop_requested()) {
    // Drop pool VMs whose hypervisor died.
    std::vector<std::shared_ptr<HostedVm>> dead;
    {
      std::lock_guard lock(vms_mutex_);
      std::erase_if(pool_, [&](const std::shared_ptr<HostedVm>& p) {
        std::lock_guard l(p->mutex_);
        const bool gone = !p->vm || p->vm->status().state != vmm::VmState::kRunning;
        if (gone) dead.push_back(p);
        return gone;
      });
    }
    for (auto& d : dead) {
      spdlog::warn("vm-worker: warm-pool VM {} died; replacing it", d->id());
      discard_pool_vm(*d);
    }
    bool want = false;
    if (!draining_ && health_.may_boot()) {
      std::lock_guard lock(vms_mutex_);
      want = pool_.size() < pc.size;
    }
    bool may_boot = false;
    if (want) {
      std::lock_guard lock(boots_mutex_);
      if (boots_in_flight_ < static_cast<int>(config_.max_concurrent_boots) &&
          ledger_.try_reserve(need)) {
        ++boots_in_flight_;
        may_boot = true;
      }
    }
    if (may_boot) health_.boot_started();
    if (may_boot) {
      char id[32];
      std::snprintf(id, sizeof id, "pool-%012llx",
                    static_cast<unsigned long long>(rng() & 0xffffffffffffull));
      auto hosted = std::make_shared<HostedVm>(id, config_.state_dir / "vms" / id, need);
      std::error_code ec;
      std::filesystem::create_directories(hosted->dir(), ec);
      std::ofstream(hosted->dir() / "pool") << "warm pool\n";
      auto booted = runtime_->boot(vm_config(id, hosted->dir(), spec));
      if (booted) {
        health_.boot_succeeded();
        metrics_.boot_seconds.observe(
            std::chrono::duration<double>((*booted)->boot_time()).count());
        {
          std::lock_guard l(hosted->mutex_);
          hosted->vm = std::shared_ptr<vmm::Vm>(std::move(*booted));
        }
        std::lock_guard lock(vms_mutex_);
        pool_.push_back(hosted);
        spdlog::info("vm-worker: warm-pool VM {} ready ({} in pool)", id, pool_.size());
      } else {
        spdlog::warn("vm-worker: warm-pool boot failed: {}", booted.error().message);
        if (is_node_fault(booted.error().code)) {
          health_.boot_failed_on_node(booted.error().message);
        } else {
          health_.boot_ended();
        }
        release_resources(*hosted);
        std::filesystem::remove_all(hosted->dir(), ec);
      }
      boot_finished();
      if (booted) continue;  // refill at once while the pool is short
    }
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, std::chrono::milliseconds(500), [] { return false; });
  }
}

}  // namespace aether::worker
