// The part of every Vm whose VMM is a host process (QemuVm, FirecrackerVm):
// it owns the process::ChildProcess, implements AgentVm's process hooks
// (kill, interrupt, wait for exit, exit status) and the boot-time checks
// ("did the VMM die?", "is the boot deadline past?"). A runtime's Vm keeps
// only what is its own: how it asks a live VMM for its state (QMP, REST API)
// and how it nudges a guest that does not power off.
//
// Threads: as AgentVm (every hook runs under AgentVm's mutex, except
// interrupt_vmm(), which signals through the pidfd).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "aether/process/process.hpp"
#include "agent_vm.hpp"

namespace aether::vmm {

// Spawns a VMM: its own session, output in `log`, no parent-death signal (a VM
// outlives the thread that booted it), SIGKILL at once when stopped; started
// in `working_dir` when one is given.
[[nodiscard]] Result<process::ChildProcess> spawn_vmm(
    std::vector<std::string> argv, const std::filesystem::path& log,
    const std::filesystem::path& working_dir = {});

// The first steps of every boot: checks the config, finds the VMM binary and
// creates the state dir. Returns the binary's path.
[[nodiscard]] Result<std::filesystem::path> prepare_boot(const VmConfig& config,
                                                         const std::string& binary);

class VmmProcessVm : public AgentVm {
 public:
  ~VmmProcessVm() override { child_.kill(); }

  [[nodiscard]] int vmm_pid() const override { return child_.pid(); }

  // Takes the connected agent channel and waits for the Hello (up to the boot
  // timeout from `launched`); kills the VMM when that fails.
  [[nodiscard]] Result<void> attach(int fd, guest_proto::Clock::time_point launched);
  // During boot, while waiting for `what` (e.g. "the agent channel"): an
  // error when the VMM has exited (with its log tail) or `deadline` has
  // passed (the VMM is killed); empty otherwise.
  [[nodiscard]] Result<void> check_booting(guest_proto::Clock::time_point deadline,
                                           const std::string& what);

 protected:
  // `name` in messages ("qemu", "firecracker"); `diagnostics_log` is quoted
  // in error messages under `diagnostics_label` (e.g. the guest console).
  VmmProcessVm(VmConfig config, process::ChildProcess child, std::string name,
               std::filesystem::path diagnostics_log, std::string diagnostics_label)
      : AgentVm(std::move(config)),
        child_(std::move(child)),
        name_(std::move(name)),
        diagnostics_log_(std::move(diagnostics_log)),
        diagnostics_label_(std::move(diagnostics_label)) {}

  void kill_vmm() override { child_.kill(); }
  void interrupt_vmm() override { child_.signal_kill(); }
  [[nodiscard]] bool wait_vmm_exit(std::chrono::milliseconds timeout) override {
    return child_.wait_for(timeout);
  }
  // Exited: kStopped for status 0, else kFailed; running: live_status().
  [[nodiscard]] VmStatus vmm_status() override;
  // The state of a VMM whose process runs, as the VMM itself reports it.
  [[nodiscard]] virtual VmStatus live_status() = 0;
  [[nodiscard]] std::string diagnostics() override;

  [[nodiscard]] const std::string& vmm_name() const { return name_; }

 private:
  process::ChildProcess child_;
  std::string name_;
  std::filesystem::path diagnostics_log_;
  std::string diagnostics_label_;
};

}  // namespace aether::vmm
