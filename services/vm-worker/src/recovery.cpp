// Worker: start-up recovery. VMs left under <state_dir>/vms by a previous run
// of this worker (crash, SIGKILL, node reboot) are not adoptable: the agent
// channel died with the process. So their hypervisors are killed (found by
// the VM's state dir on their command line) and each VM is reported FAILED
// with the reason, unless the event stream shows it already ended or another
// worker took it over. Nothing is left behind. Except a VM that was PAUSED:
// its state is on disk, so it is adopted again, resumable (adopt_paused).
#include <signal.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "recovery_scan.hpp"
#include "vm_state.hpp"
#include "worker.hpp"

namespace aether::worker {

void Worker::recover() {
  const auto root = config_.state_dir / "vms";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    const auto dir = entry.path();
    const auto pids = processes_using(dir);
    for (int pid : pids) {
      spdlog::warn("vm-worker: recovery: killing hypervisor pid {} left in {}", pid, dir.string());
      ::kill(pid, SIGKILL);
      ++recovery_.processes_killed;
    }
    wait_gone(pids, std::chrono::seconds(5));
    std::ifstream in(dir / "create.pb", std::ios::binary);
    std::stringstream data;
    data << in.rdbuf();
    v1::CreateVm create;
    if (in && create.ParseFromString(data.str()) && !create.vm_id().empty()) {
      auto last = latest_event(connection_, create.vm_id());
      bool report = true;
      std::string reason =
          "worker " + config_.worker_id + " restarted and found the VM's hypervisor " +
          (pids.empty() ? std::string("already gone")
                        : "still running (pid " + std::to_string(pids.front()) + ", killed)") +
          ": the VM is lost";
      v1::VmState previous = v1::VM_STATE_UNSPECIFIED;
      if (last && *last) {
        const auto& ev = (*last)->event;
        previous = ev.state();
        report = ev.worker_id() == config_.worker_id && !is_final(ev.state());
      }
      // A paused VM has no hypervisor to lose: it is adopted again (worker_pause.cpp).
      std::string why_not;
      if (report && previous == v1::VM_STATE_PAUSED && adopt_paused(dir, create, why_not)) {
        continue;
      }
      if (!why_not.empty()) reason = why_not;
      if (report) {
        HostedVm lost(create.vm_id(), dir, {});
        std::unique_lock lock(lost.mutex_);
        lost.create = create;
        lost.state = previous;
        lost.resources_released = true;
        if (transition_locked(lost, lock, v1::VM_STATE_FAILED, reason)) ++recovery_.vms_failed;
      }
    }
    std::filesystem::remove_all(dir, ec);
  }
  if (recovery_.vms_failed > 0 || recovery_.processes_killed > 0) {
    (void)events_->flush(std::chrono::seconds(10));
    spdlog::warn("vm-worker: recovery: {} VM(s) reported FAILED, {} hypervisor(s) killed",
                 recovery_.vms_failed, recovery_.processes_killed);
  }
}

}  // namespace aether::worker
