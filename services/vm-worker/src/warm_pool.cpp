// WarmPool: refill, take, evict.
#include "warm_pool.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <random>

#include "vm_config.hpp"

namespace aether::worker {

bool WarmPool::matches(const v1::VmSpec& spec) const {
  const auto& p = config_.warm_pool;
  return p.size > 0 && spec.template_() == p.template_name && spec.vcpus() == p.vcpus &&
         spec.memory_mib() == p.memory_mib && !spec.network();
}

void WarmPool::discard(HostedVm& vm) {
  std::lock_guard lock(vm.mutex_);
  if (vm.vm) vm.vm->kill();
  vm.vm.reset();
  lifecycle_.release_resources(vm);
  std::error_code ec;
  std::filesystem::remove_all(vm.dir(), ec);
}

void WarmPool::empty() {
  for (auto& p : registry_.pool_take_all()) discard(*p);
}

std::shared_ptr<HostedVm> WarmPool::take(const v1::VmSpec& spec) {
  if (!matches(spec)) return nullptr;
  return registry_.pool_take_oldest();
}

bool WarmPool::reserve_with_eviction(const Resources& need) {
  for (;;) {
    if (ledger_.try_reserve(need)) return true;
    auto victim = registry_.pool_take_newest();
    if (!victim) return false;
    spdlog::info("vm-worker: evicting warm-pool VM {} to make room", victim->id());
    discard(*victim);
  }
}

void WarmPool::start() {
  thread_ = std::jthread([this](std::stop_token s) { loop(s); });
}

void WarmPool::refill_one(const v1::VmSpec& spec, const Resources& need, std::uint64_t random,
                          bool& ok) {
  char id[32];
  std::snprintf(id, sizeof id, "pool-%012llx",
                static_cast<unsigned long long>(random & 0xffffffffffffull));
  auto hosted = std::make_shared<HostedVm>(id, config_.state_dir / "vms" / id, need);
  std::error_code ec;
  std::filesystem::create_directories(hosted->dir(), ec);
  std::ofstream(hosted->dir() / "pool") << "warm pool\n";
  auto booted = runtime_.boot(make_vm_config(config_, id, hosted->dir(), spec));
  ok = booted.has_value();
  if (booted) {
    health_.boot_succeeded();
    metrics_.boot_seconds.observe(std::chrono::duration<double>((*booted)->boot_time()).count());
    {
      std::lock_guard l(hosted->mutex_);
      hosted->vm = std::shared_ptr<vmm::Vm>(std::move(*booted));
    }
    const auto size = registry_.pool_add(hosted);
    spdlog::info("vm-worker: warm-pool VM {} ready ({} in pool)", id, size);
  } else {
    spdlog::warn("vm-worker: warm-pool boot failed: {}", booted.error().message);
    if (is_node_fault(booted.error().code)) {
      health_.boot_failed_on_node(booted.error().message);
    } else {
      health_.boot_ended();
    }
    lifecycle_.release_resources(*hosted);
    std::filesystem::remove_all(hosted->dir(), ec);
  }
  slots_.finished();
}

void WarmPool::loop(std::stop_token stop) {
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
    for (auto& d : registry_.pool_take_dead()) {
      spdlog::warn("vm-worker: warm-pool VM {} died; replacing it", d->id());
      discard(*d);
    }
    const bool want = !flags_.draining && health_.may_boot() && registry_.pool_size() < pc.size;
    const bool may_boot = want && slots_.try_take([&] { return ledger_.try_reserve(need); });
    if (may_boot) {
      health_.boot_started();
      bool ok = false;
      refill_one(spec, need, rng(), ok);
      if (ok) continue;  // refill at once while the pool is short
    }
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, std::chrono::milliseconds(500), [] { return false; });
  }
}

}  // namespace aether::worker
