// Recovery: start-up recovery. VMs left under <state_dir>/vms by a previous run
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

#include "recovery.hpp"
#include "recovery_scan.hpp"
#include "vm_state.hpp"

namespace aether::worker {

bool Recovery::adopt_paused(const std::filesystem::path& dir, const v1::CreateVm& create,
                            std::string& why) {
  auto hosted = pauser_.adoptable(dir, create, why);
  if (!hosted) return false;
  registry_.add(create.vm_id(), hosted);
  if (auto s = ops_.subscribe(hosted); !s) {
    registry_.remove(create.vm_id());
    why = "worker " + config_.worker_id + " restarted while the VM was paused and cannot serve " +
          "it again (" + s.error().message + "): the VM is lost";
    return false;
  }
  spdlog::info("vm-worker: recovery: VM {} is paused in {}; adopted (resumable)", create.vm_id(),
               dir.string());
  return true;
}

RecoveryReport Recovery::run() {
  RecoveryReport report;
  const auto root = config_.state_dir / "vms";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    const auto dir = entry.path();
    const auto pids = processes_using(dir);
    for (int pid : pids) {
      spdlog::warn("vm-worker: recovery: killing hypervisor pid {} left in {}", pid, dir.string());
      ::kill(pid, SIGKILL);
      ++report.processes_killed;
    }
    wait_gone(pids, std::chrono::seconds(5));
    std::ifstream in(dir / "create.pb", std::ios::binary);
    std::stringstream data;
    data << in.rdbuf();
    v1::CreateVm create;
    if (in && create.ParseFromString(data.str()) && !create.vm_id().empty()) {
      auto last = latest_event(connection_, create.vm_id());
      bool ours = true;
      std::string reason =
          "worker " + config_.worker_id + " restarted and found the VM's hypervisor " +
          (pids.empty() ? std::string("already gone")
                        : "still running (pid " + std::to_string(pids.front()) + ", killed)") +
          ": the VM is lost";
      v1::VmState previous = v1::VM_STATE_UNSPECIFIED;
      if (last && *last) {
        const auto& ev = (*last)->event;
        previous = ev.state();
        ours = ev.worker_id() == config_.worker_id && !is_final(ev.state());
      }
      // A paused VM has no hypervisor to lose: it is adopted again, resumable.
      if (ours && previous == v1::VM_STATE_PAUSED) {
        std::string why;
        if (adopt_paused(dir, create, why)) continue;
        if (!why.empty()) reason = why;
      }
      if (ours && lifecycle_.fail_unhosted(create, previous, reason)) ++report.vms_failed;
    }
    std::filesystem::remove_all(dir, ec);
  }
  if (report.vms_failed > 0 || report.processes_killed > 0) {
    (void)lifecycle_.flush(std::chrono::seconds(10));
    spdlog::warn("vm-worker: recovery: {} VM(s) reported FAILED, {} hypervisor(s) killed",
                 report.vms_failed, report.processes_killed);
  }
  return report;
}

}  // namespace aether::worker
