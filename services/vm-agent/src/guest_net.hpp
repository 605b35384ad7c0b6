// The guest's network: eth0's address, netmask and default route from the
// kernel argument aether.net=ADDRESS/PREFIX,GATEWAY (set by the host when the
// VM has a network). Configured with ioctls by PID 1 before it says Hello; a
// bad value is logged and the agent starts anyway. No DNS: the guest has no
// resolver configured (egress rules name IPv4 addresses only).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace aether::vm_agent {

struct GuestNet {
  std::uint32_t address = 0;  // host byte order
  unsigned prefix = 0;        // 1..30
  std::uint32_t gateway = 0;  // inside address/prefix, not the address itself
};

// Parses "10.200.0.2/16,10.200.0.1"; nullopt with `problem` set when bad.
[[nodiscard]] std::optional<GuestNet> parse_guest_net(const std::string& value,
                                                      std::string& problem);

// Brings lo up, then waits up to `wait` for `ifname`, sets its address and
// netmask, brings it up and adds the default route via the gateway.
// False with `problem` naming the failed step.
[[nodiscard]] bool configure_guest_net(const std::string& ifname, const GuestNet& net,
                                       std::chrono::milliseconds wait, std::string& problem);

[[nodiscard]] std::string format_guest_net(const GuestNet& net);

}  // namespace aether::vm_agent
