// The runtime interface vm-worker uses to run microVMs, whatever the VMM.
//
// A Runtime boots VMs from a VmConfig; each boot returns a Vm handle that
// speaks the guest frame protocol (libs/guest_proto) to the in-guest agent.
// Runtimes: QEMU (-M microvm, KVM or TCG) and Firecracker, chosen by
// make_runtime() from AETHER_RUNTIME=auto|firecracker|qemu.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aether/v1/guest.pb.h"
#include "aether/vmm/errors.hpp"

namespace aether::vmm {

struct VmConfig {
  std::string id;                               // [A-Za-z0-9_.-]{1,64}; names the state dir
  std::filesystem::path state_dir;              // per-VM directory (sockets, logs); created
  std::filesystem::path kernel;                 // uncompressed vmlinux
  std::filesystem::path initrd;                 // initramfs with the agent as /init
  std::optional<std::filesystem::path> rootfs;  // ext4 image as /dev/vda (optional)
  std::optional<std::string> tap_device;        // host TAP device for the guest's eth0 (optional)
  std::optional<std::string> guest_mac;  // MAC of that NIC, "02:xx:xx:xx:xx:xx" (needs tap_device)
  // Guest eth0 address and gateway, "10.200.0.2/16,10.200.0.1": passed as the
  // kernel argument aether.net= for the agent (needs tap_device).
  std::optional<std::string> guest_net;
  unsigned vcpus = 1;                                       // 1..32
  unsigned memory_mib = 256;                                // 64..65536
  std::string extra_cmdline;                                // appended to the kernel command line
  std::chrono::milliseconds boot_timeout{60'000};           // until the agent's Hello
  std::chrono::milliseconds request_timeout{30'000};        // ping, file ops, shutdown
  std::chrono::milliseconds default_exec_timeout{300'000};  // when a request says 0
  std::size_t max_collected_output = 16u << 20;             // exec output kept when not streamed
};

enum class VmState { kRunning, kStopped, kFailed };

struct VmStatus {
  VmState state = VmState::kRunning;
  std::string detail;  // e.g. QMP "running", or why it failed
};

// How long Vm::shutdown() without an argument lets the guest power off.
inline constexpr std::chrono::milliseconds kDefaultShutdownGrace{30'000};

// Called for each output chunk as it arrives; return false to kill the command.
using OutputCallback = std::function<bool(const v1::ExecOutputChunk&)>;

// A booted VM. Methods may be called from any thread; they are serialized
// (one request on the channel at a time). Destroying the handle kills the VM
// if it is still running. A protocol violation or silence from the guest kills
// the VM and fails that call and every later one with kVmDead.
class Vm {
 public:
  virtual ~Vm() = default;

  [[nodiscard]] virtual const std::string& id() const = 0;
  [[nodiscard]] virtual const v1::Hello& hello() const = 0;
  // Wall time from launching the VMM to the agent's Hello.
  [[nodiscard]] virtual std::chrono::microseconds boot_time() const = 0;

  // Round trip time of a Ping.
  [[nodiscard]] virtual Result<std::chrono::microseconds> ping() = 0;
  // Runs a command; without a callback, stdout/stderr are collected into the
  // reply (up to max_collected_output, then output_truncated). exec_id is set
  // here; timeout_ms 0 becomes config.default_exec_timeout.
  [[nodiscard]] virtual Result<v1::ExecReply> exec(v1::ExecRequest request,
                                                   const OutputCallback& on_output = {}) = 0;
  // Writes put.content to put.path in the guest, in chunks; the reply's sha256
  // is checked against what was sent.
  [[nodiscard]] virtual Result<v1::FilePutReply> put_file(const v1::FilePut& put) = 0;
  [[nodiscard]] virtual Result<v1::FileGetReply> get_file(const v1::FileGet& get) = 0;
  // Asks the agent to power off and waits for the VMM to exit, for at most
  // `grace` from the call (the acknowledgement also within request_timeout).
  // When the guest has not powered off by then the VMM is killed and the call
  // fails with kTimeout; grace 0 kills at once. Success means the guest
  // powered off by itself.
  [[nodiscard]] virtual Result<void> shutdown(std::chrono::milliseconds grace) = 0;
  [[nodiscard]] Result<void> shutdown() { return shutdown(kDefaultShutdownGrace); }
  virtual void kill() = 0;
  [[nodiscard]] virtual VmStatus status() = 0;
  // Host process id of the VMM (for RSS measurements); -1 when gone.
  [[nodiscard]] virtual int vmm_pid() const = 0;
  // Pauses the VM, writes its memory and device state and its root disk into
  // dir (created; see Runtime::restore) and ends it: the VMM exits and later
  // calls fail with kVmDead. Take it from an idle, agent-ready VM (no request
  // running). kUnsupported where the runtime cannot.
  [[nodiscard]] virtual Result<void> snapshot(const std::filesystem::path& dir) {
    (void)dir;
    return std::unexpected(Error{Errc::kUnsupported, "this VM cannot be snapshotted"});
  }
  // Pauses the VM for a later Runtime::resume(): writes its memory and device
  // state to paused_dir(state_dir) (memory.bin, then pause.json last) and ends
  // the VMM; its root-disk overlay stays where it is. Later calls fail with
  // kVmDead. Take it from an idle VM (no request running). kUnsupported where
  // the runtime cannot (the VM then runs on).
  [[nodiscard]] virtual Result<void> pause() {
    return std::unexpected(Error{Errc::kUnsupported, "this VM cannot be paused"});
  }
};

// Boots VMs. Thread-safe: boot() may run concurrently for different VMs.
class Runtime {
 public:
  virtual ~Runtime() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;  // "qemu-kvm", "qemu-tcg", "firecracker"
  [[nodiscard]] virtual Result<std::unique_ptr<Vm>> boot(const VmConfig& config) = 0;
  // Starts a VM from a Vm::snapshot directory instead of booting. config must
  // match the snapshot in vcpus, memory, kernel, initrd and rootfs
  // (kInvalidConfig names the field); its id and state_dir are the new VM's.
  // Before it counts as ready, the agent gets a Restored frame: a fresh random
  // seed, the host's clock, hostname = the VM id and a new machine id; its
  // Hello answers it. The snapshot directory is only read, so any number of
  // VMs may be restored from it at once.
  [[nodiscard]] virtual Result<std::unique_ptr<Vm>> restore(
      const VmConfig& config, const std::filesystem::path& snapshot_dir) {
    (void)config;
    (void)snapshot_dir;
    return std::unexpected(
        Error{Errc::kUnsupported, std::string(name()) + " cannot restore snapshots"});
  }
  // Starts a VM paused by Vm::pause() again from config.state_dir, with the
  // same root disk (QEMU: its overlay; Firecracker: its own copy). config must equal the recorded
  // one (read_pause_record gives it; kInvalidConfig names a field that differs). The agent gets a
  // Restored frame that keeps its identity (hostname and machine id unchanged) and sets its clock
  // forward and adds entropy; its Hello ends the resume. Once the VMM runs the loaded state the
  // pause files are removed (the disk moves on from them); a resume that fails before that leaves
  // them for another try.
  [[nodiscard]] virtual Result<std::unique_ptr<Vm>> resume(const VmConfig& config) {
    (void)config;
    return std::unexpected(
        Error{Errc::kUnsupported, std::string(name()) + " cannot resume paused VMs"});
  }
};

// Where Vm::pause() writes: <state_dir>/paused.
[[nodiscard]] std::filesystem::path paused_dir(const std::filesystem::path& state_dir);
// True when state_dir holds a complete pause (pause.json written).
[[nodiscard]] bool is_paused(const std::filesystem::path& state_dir);
// The VmConfig recorded by the pause in state_dir (all fields that shape the
// VM: id, kernel, initrd, rootfs, vcpus, memory, cmdline, network; timeouts
// are the defaults). kMissingFile without a complete pause, kInvalidConfig
// for an unreadable record.
[[nodiscard]] Result<VmConfig> read_pause_record(const std::filesystem::path& state_dir);
// Removes the pause files of state_dir (not the overlay).
void discard_pause(const std::filesystem::path& state_dir);

// Checks the rules of VmConfig; the message names the field and the rule.
[[nodiscard]] Result<void> validate(const VmConfig& config);

}  // namespace aether::vmm
