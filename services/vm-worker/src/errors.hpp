// Error values of the vm-worker's classes.
#pragma once

#include <expected>
#include <string>

namespace aether::worker {

enum class Errc {
  kInvalidSpec,    // a CreateVm spec breaks a rule (reason names the field)
  kMalformed,      // a command that cannot be read at all (no usable vm id)
  kNoCapacity,     // the node cannot fit the VM right now
  kBus,            // NATS refused or timed out
  kVmm,            // the hypervisor or the guest failed
  kIo,             // a host file operation failed
  kInvalidConfig,  // a worker setting breaks a rule
  kNetwork,        // the host network (bridge, nftables) could not be set up
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> fail(Errc code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

}  // namespace aether::worker
