// VmRegistry: hosted VMs, warm pool, graveyard.
#include "vm_registry.hpp"

namespace aether::worker {

std::shared_ptr<HostedVm> VmRegistry::find(const std::string& vm_id) const {
  std::lock_guard lock(mutex_);
  auto it = vms_.find(vm_id);
  return it == vms_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<HostedVm>> VmRegistry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<HostedVm>> out;
  for (const auto& [id, vm] : vms_) out.push_back(vm);
  return out;
}

std::size_t VmRegistry::size() const {
  std::lock_guard lock(mutex_);
  return vms_.size();
}

void VmRegistry::add(const std::string& vm_id, std::shared_ptr<HostedVm> vm) {
  std::lock_guard lock(mutex_);
  vms_[vm_id] = std::move(vm);
}

void VmRegistry::remove(const std::string& vm_id, std::vector<bus::Subscription> subscriptions) {
  std::lock_guard lock(mutex_);
  vms_.erase(vm_id);
  for (auto& s : subscriptions) graveyard_.push_back(std::move(s));
}

void VmRegistry::clear_graveyard() {
  std::lock_guard lock(mutex_);
  graveyard_.clear();
}

void VmRegistry::drop_subscriptions() {
  std::lock_guard lock(mutex_);
  for (auto& [id, vm] : vms_) {
    std::lock_guard l(vm->mutex_);
    vm->subscriptions.clear();
  }
  graveyard_.clear();
}

std::size_t VmRegistry::pool_size() const {
  std::lock_guard lock(mutex_);
  return pool_.size();
}

std::size_t VmRegistry::pool_add(std::shared_ptr<HostedVm> vm) {
  std::lock_guard lock(mutex_);
  pool_.push_back(std::move(vm));
  return pool_.size();
}

std::shared_ptr<HostedVm> VmRegistry::pool_take_oldest() {
  std::lock_guard lock(mutex_);
  if (pool_.empty()) return nullptr;
  auto vm = pool_.front();
  pool_.erase(pool_.begin());
  return vm;
}

std::shared_ptr<HostedVm> VmRegistry::pool_take_newest() {
  std::lock_guard lock(mutex_);
  if (pool_.empty()) return nullptr;
  auto vm = pool_.back();
  pool_.pop_back();
  return vm;
}

std::vector<std::shared_ptr<HostedVm>> VmRegistry::pool_take_all() {
  std::vector<std::shared_ptr<HostedVm>> out;
  std::lock_guard lock(mutex_);
  out.swap(pool_);
  return out;
}

std::vector<std::shared_ptr<HostedVm>> VmRegistry::pool_take_dead() {
  std::vector<std::shared_ptr<HostedVm>> dead;
  std::lock_guard lock(mutex_);
  std::erase_if(pool_, [&](const std::shared_ptr<HostedVm>& p) {
    std::lock_guard l(p->mutex_);
    const bool gone = !p->vm || p->vm->status().state != vmm::VmState::kRunning;
    if (gone) dead.push_back(p);
    return gone;
  });
  return dead;
}

Resources VmRegistry::pool_reserved() const {
  Resources r{0, 0, 0};
  std::lock_guard lock(mutex_);
  for (const auto& p : pool_) {
    r.vcpus += p->reserved().vcpus;
    r.memory_mib += p->reserved().memory_mib;
    r.vms += 1;
  }
  return r;
}

void VmRegistry::pool_kill_all() {
  std::lock_guard lock(mutex_);
  for (auto& p : pool_) {
    std::lock_guard l(p->mutex_);
    if (p->vm) p->vm->kill();
  }
}

}  // namespace aether::worker
