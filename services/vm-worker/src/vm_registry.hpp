// VmRegistry: the VMs this worker hosts (by vm id), its warm pool (booted VMs
// not yet given an id) and the graveyard (subscriptions of deleted VMs, kept
// until the reaper drops them: a delete may run inside one of their handlers).
//
// Threads: every method from any thread. Lock order: the registry's mutex may
// be taken before a HostedVm::mutex_, never after (pool_take_dead and
// drop_subscriptions take VM locks under it).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "capacity.hpp"
#include "hosted_vm.hpp"

namespace aether::worker {

class VmRegistry {
 public:
  [[nodiscard]] std::shared_ptr<HostedVm> find(const std::string& vm_id) const;
  [[nodiscard]] std::vector<std::shared_ptr<HostedVm>> all() const;
  [[nodiscard]] std::size_t size() const;
  void add(const std::string& vm_id, std::shared_ptr<HostedVm> vm);
  // Unregisters the VM; its subscriptions go to the graveyard.
  void remove(const std::string& vm_id, std::vector<bus::Subscription> subscriptions = {});
  void clear_graveyard();
  // Every VM's subscriptions and the graveyard (shutdown, kill).
  void drop_subscriptions();

  // The warm pool.
  [[nodiscard]] std::size_t pool_size() const;
  std::size_t pool_add(std::shared_ptr<HostedVm> vm);  // returns the new size
  [[nodiscard]] std::shared_ptr<HostedVm> pool_take_oldest();
  [[nodiscard]] std::shared_ptr<HostedVm> pool_take_newest();
  [[nodiscard]] std::vector<std::shared_ptr<HostedVm>> pool_take_all();
  // Takes out the pool VMs whose hypervisor is not running.
  [[nodiscard]] std::vector<std::shared_ptr<HostedVm>> pool_take_dead();
  // What the pool VMs reserved (a create evicts them, so it counts as free).
  [[nodiscard]] Resources pool_reserved() const;
  void pool_kill_all();  // kill(): the hypervisors go, the entries stay

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<HostedVm>> vms_;  // by vm id; guarded by mutex_
  std::vector<std::shared_ptr<HostedVm>> pool_;           // guarded by mutex_
  std::vector<bus::Subscription> graveyard_;              // guarded by mutex_
};

}  // namespace aether::worker
