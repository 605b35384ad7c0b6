// Error values of libs/vmm.
#pragma once

#include <expected>
#include <string>

namespace aether::vmm {

enum class Errc {
  kInvalidConfig,  // a VmConfig / env value breaks a rule (message names it)
  kMissingFile,    // kernel, initrd, rootfs or VMM binary not found (message names the path)
  kSpawn,          // the VMM process could not be started or died at start
  kBootTimeout,    // the agent's Hello did not arrive in time
  kProtocol,       // the guest sent garbage or an oversized frame: the VM was killed
  kTimeout,        // the guest went silent during a request: the VM was killed
  kGuestError,     // the agent answered with an ErrorReply (the VM is fine)
  kVmDead,         // the VM is no longer running
  kUnsupported,    // the runtime cannot do this here (e.g. no KVM for firecracker)
  kIo,             // a host system call failed
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

[[nodiscard]] const char* errc_name(Errc code);

}  // namespace aether::vmm
