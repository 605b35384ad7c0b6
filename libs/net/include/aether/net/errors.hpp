// Error values of libs/net: every failure names what failed (the device, the
// nftables command, the egress entry) in its message.
#pragma once

#include <expected>
#include <string>

namespace aether::net {

enum class Errc {
  kInvalidConfig,  // a NetworkConfig value breaks a rule (message names it)
  kInvalidEgress,  // an egress_allow entry is malformed or refused (message names it)
  kExhausted,      // no free guest address left in the subnet
  kNetlink,        // a netlink request (link, address, neighbour) failed
  kNftables,       // libnftables refused a batch (message carries nft's error)
  kTap,            // creating the TAP device through /dev/net/tun failed
  kIo,             // a host file (e.g. /proc/sys) could not be written
  kNotFound,       // detach of a VM that has no attachment
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

[[nodiscard]] const char* errc_name(Errc code);

[[nodiscard]] inline std::unexpected<Error> fail(Errc code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

}  // namespace aether::net
