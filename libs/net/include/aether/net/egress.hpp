// IPv4 networks and the egress allow-list of a VM (VmSpec.egress_allow).
//
// Entries: "a.b.c.d", "a.b.c.d/n", "a.b.c.d:port", "a.b.c.d/n:port" (a port
// allows tcp and udp). Hostnames, IPv6 and anything else are refused with a
// message naming the entry's index and the rule. parse_egress_allow is the one
// validator: the vm-worker's spec rules and HostNetwork::attach both use it.
// Pure functions, no system calls: safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aether/net/errors.hpp"

namespace aether::net {

// An IPv4 network; address is in host byte order with no host bits set.
struct Ipv4Net {
  std::uint32_t address = 0;
  unsigned prefix = 32;

  [[nodiscard]] std::uint32_t mask() const {
    return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  }
  [[nodiscard]] bool contains(std::uint32_t ip) const { return (ip & mask()) == address; }
  // True when every address of `inner` is in this network.
  [[nodiscard]] bool covers(const Ipv4Net& inner) const {
    return inner.prefix >= prefix && contains(inner.address);
  }
  [[nodiscard]] std::string str() const;  // "10.0.0.0/8" ("1.2.3.4" for /32)
  friend bool operator==(const Ipv4Net&, const Ipv4Net&) = default;
};

struct EgressRule {
  Ipv4Net destination;
  std::optional<std::uint16_t> port;  // tcp and udp; nullopt: every port and protocol
  friend bool operator==(const EgressRule&, const EgressRule&) = default;
};

inline constexpr std::size_t kMaxEgressEntries = 256;

// "a.b.c.d" in dotted decimal, four parts 0-255, no leading zeros.
[[nodiscard]] std::optional<std::uint32_t> parse_ipv4(std::string_view text);
[[nodiscard]] std::string format_ipv4(std::uint32_t address);
// "a.b.c.d/n" (or "a.b.c.d" = /32); host bits must be zero.
[[nodiscard]] Result<Ipv4Net> parse_cidr(std::string_view text);

// Validates every entry; the message names `field`[index], the entry and the
// rule, e.g. "egress_allow[2]: 'example.com:443': hostnames are not supported,
// give an IPv4 address or CIDR".
[[nodiscard]] Result<std::vector<EgressRule>> parse_egress_allow(
    const std::vector<std::string>& entries, std::string_view field = "egress_allow");

// Private and special ranges a VM may not reach unless an entry names them:
// 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16, 224/4
// (multicast), 240/4 (reserved and broadcast).
[[nodiscard]] const std::vector<Ipv4Net>& special_ranges();

}  // namespace aether::net
