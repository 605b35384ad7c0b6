// The nftables text HostNetwork feeds to libnftables, built as plain strings
// so unit tests can read them without touching the host. Each function
// returns one batch (applied atomically by nft_run_cmd_from_buffer).
#pragma once

#include <string>
#include <vector>

#include "aether/net/egress.hpp"
#include "aether/net/host_network.hpp"

namespace aether::net::ruleset {

// Replaces `inet <table>` with the base: the set of denied ranges, the map of
// VM source address -> per-VM chain, forward/input filter chains and the NAT
// masquerade for the subnet leaving through any interface but the bridge.
[[nodiscard]] std::string base_table(const NetworkConfig& config, const Ipv4Net& subnet);

// The per-VM chains (egress verdicts, anti-spoofing on the TAP's ingress)
// and the map element that sends the VM's traffic to them.
[[nodiscard]] std::string vm_add(const NetworkConfig& config, const Ipv4Net& subnet,
                                 const Attachment& vm, const std::vector<EgressRule>& egress);
[[nodiscard]] std::string vm_remove(const NetworkConfig& config, const Attachment& vm);

// `delete table inet <table>` that does not fail when it is absent.
[[nodiscard]] std::string drop_table(const NetworkConfig& config);

}  // namespace aether::net::ruleset
