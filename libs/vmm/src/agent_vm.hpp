// The part of every Vm that talks to the in-guest agent over the frame
// channel: hello, ping, exec, files, shutdown request. Runtimes derive from it
// and supply the VMM process control (kill_vmm, wait_vmm_exit, vmm_status).
//
// Thread ownership: every public method takes mutex_, so one request uses the
// channel at a time; kill() first signals the VMM without the mutex, so it
// ends a request blocked in another thread. Any protocol violation or silence marks the VM dead and
// kills the VMM: later calls fail with kVmDead.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "aether/guest_proto/channel.hpp"
#include "aether/vmm/vm.hpp"

namespace aether::vmm {

class AgentVm : public Vm {
 public:
  ~AgentVm() override;

  [[nodiscard]] const std::string& id() const override { return config_.id; }
  [[nodiscard]] const v1::Hello& hello() const override { return hello_; }
  [[nodiscard]] std::chrono::microseconds boot_time() const override { return boot_time_; }

  [[nodiscard]] Result<std::chrono::microseconds> ping() override;
  [[nodiscard]] Result<v1::ExecReply> exec(v1::ExecRequest request,
                                           const OutputCallback& on_output) override;
  [[nodiscard]] Result<v1::FilePutReply> put_file(const v1::FilePut& put) override;
  [[nodiscard]] Result<v1::FileGetReply> get_file(const v1::FileGet& get) override;
  using Vm::shutdown;
  [[nodiscard]] Result<void> shutdown(std::chrono::milliseconds grace) override;
  void kill() override;
  [[nodiscard]] VmStatus status() override;
  // Under the channel's lock (no request runs meanwhile): snapshot_vmm(),
  // then the VM is gone.
  [[nodiscard]] Result<void> snapshot(const std::filesystem::path& dir) override;
  // Under the channel's lock: pause_vmm(), then the VM is gone.
  [[nodiscard]] Result<void> pause() override;

 protected:
  explicit AgentVm(VmConfig config) : config_(std::move(config)) {}

  // Takes the connected channel (owned from now on) and waits for Hello until
  // deadline. On failure the caller kills the VMM.
  [[nodiscard]] Result<void> attach_channel(int fd, guest_proto::Clock::time_point deadline,
                                            guest_proto::Clock::time_point launched);

  // A VM restored from a snapshot or resumed from a pause: takes the channel
  // and sends the Restored frame (a new hostname and machine id only with
  // new_identity: a resumed VM keeps its own); its Hello (skipping one the
  // agent may send on reopening the channel) ends the restore. On failure the
  // caller kills the VMM.
  [[nodiscard]] Result<void> attach_restored(int fd, guest_proto::Clock::time_point deadline,
                                             guest_proto::Clock::time_point launched,
                                             bool new_identity = true);
  // The runtime's part of snapshot(): pause, write dir, end the VMM.
  [[nodiscard]] virtual Result<void> snapshot_vmm(const std::filesystem::path& dir) {
    (void)dir;
    return std::unexpected(Error{Errc::kUnsupported, "this runtime cannot take snapshots"});
  }
  // The runtime's part of pause(): write paused_dir(state_dir), end the VMM.
  [[nodiscard]] virtual Result<void> pause_vmm() {
    return std::unexpected(Error{Errc::kUnsupported, "this runtime cannot pause VMs"});
  }

  virtual void kill_vmm() = 0;
  // Sends SIGKILL to the VMM without waiting; called without mutex_ so kill()
  // works while another thread is blocked in a request.
  virtual void interrupt_vmm() = 0;
  // Waits for the VMM to exit on its own; true when it did.
  [[nodiscard]] virtual bool wait_vmm_exit(std::chrono::milliseconds timeout) = 0;
  [[nodiscard]] virtual VmStatus vmm_status() = 0;
  // Extra words for error messages (e.g. the tail of the console log).
  [[nodiscard]] virtual std::string diagnostics() { return {}; }

  VmConfig config_;

 private:
  [[nodiscard]] Result<void> check_alive() const;
  [[nodiscard]] Result<void> send(const v1::GuestFrame& frame,
                                  guest_proto::Clock::time_point deadline);
  // The next frame for request id; a frame for another id is a protocol error
  // (the host runs one request at a time).
  [[nodiscard]] Result<v1::GuestFrame> receive(std::uint64_t id,
                                               guest_proto::Clock::time_point deadline);
  // Kills the VM and turns a channel error into our error.
  [[nodiscard]] Error fail(const guest_proto::Error& error, const std::string& during);
  [[nodiscard]] Error fail_unexpected(const v1::GuestFrame& frame, const std::string& during);
  [[nodiscard]] guest_proto::Clock::time_point request_deadline() const;

  std::mutex mutex_;  // guards everything below and the channel
  int fd_ = -1;
  std::optional<guest_proto::FrameReader> reader_;
  v1::Hello hello_;
  std::chrono::microseconds boot_time_{0};
  std::uint64_t next_id_ = 1;
  std::set<std::uint64_t> ignored_ids_;  // kill requests whose late error replies are dropped
  std::optional<std::string> dead_;      // why the VM is gone
  bool stopped_cleanly_ = false;
};

}  // namespace aether::vmm
