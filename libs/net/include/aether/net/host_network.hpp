// The host side of per-VM networking for one vm-worker.
//
// HostNetwork owns a Linux bridge (the guests' gateway, first address of the
// subnet), IPv4 forwarding, and one nftables table (`inet <table>`, replaced
// atomically at setup). Per VM, attach() allocates a guest address, creates a
// persistent TAP enslaved to the bridge (port isolated, no learning, static
// FDB and neighbour entries) and installs the VM's rules in one nftables
// batch: anti-spoofing on the TAP's ingress, egress allow-list, NAT through
// any other interface, nothing to the node itself. detach() undoes it.
//
// Lifecycle: setup() -> attach()/detach()... -> teardown() (deletes the table
// and the bridge). cleanup_stale() removes TAPs on the bridge that a previous
// run left. Destroying without teardown() leaves the host state (as a crash
// would); the next setup()/cleanup_stale() clears it.
// Threads: every method may be called from any thread; one mutex serialises
// them (libnftables and the netlink socket are not thread-safe).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aether/net/egress.hpp"
#include "aether/net/errors.hpp"

namespace aether::net {

struct NetworkConfig {
  std::string bridge = "aether0";        // [A-Za-z0-9_-]{1,15}
  std::string subnet = "10.200.0.0/16";  // prefix 8..29; gateway = first address
  std::string table = "aether";          // nftables table in family inet, [A-Za-z0-9_]{1,32}
  bool deny_private = true;              // special ranges refused unless an entry names them
  std::optional<unsigned> tap_owner;     // uid owning the TAPs (the VMM's user)
};

// Checks the rules of NetworkConfig; the message names the field and the rule.
[[nodiscard]] Result<void> validate(const NetworkConfig& config);
// Field checks on their own (for config declarations): nullopt when fine.
[[nodiscard]] std::optional<std::string> bridge_name_problem(const std::string& name);
[[nodiscard]] std::optional<std::string> subnet_problem(const std::string& subnet);
[[nodiscard]] std::optional<std::string> table_name_problem(const std::string& name);

// What a VM needs to use its network.
struct Attachment {
  std::string vm_id;
  std::string tap;            // host TAP device, <= 15 characters
  std::string mac;            // the guest NIC's MAC (locally administered, stable per VM id)
  std::string guest_address;  // "10.200.0.2"
  unsigned prefix = 16;
  std::string gateway;  // "10.200.0.1"
  // Value of the kernel argument aether.net=: "10.200.0.2/16,10.200.0.1".
  [[nodiscard]] std::string kernel_arg() const {
    return guest_address + "/" + std::to_string(prefix) + "," + gateway;
  }
};

class HostNetwork {
 public:
  // Creates (or reuses) the bridge, turns on IPv4 forwarding and replaces the
  // nftables table with the base chains.
  [[nodiscard]] static Result<std::unique_ptr<HostNetwork>> setup(const NetworkConfig& config);
  ~HostNetwork();
  HostNetwork(const HostNetwork&) = delete;
  HostNetwork& operator=(const HostNetwork&) = delete;

  // Gives vm_id an address, a TAP and its rules. An attached vm_id is an error.
  [[nodiscard]] Result<Attachment> attach(const std::string& vm_id,
                                          const std::vector<std::string>& egress_allow);
  // Removes the VM's TAP and rules and frees its address.
  [[nodiscard]] Result<void> detach(const std::string& vm_id);
  // Deletes TAPs enslaved to the bridge that no attachment of this object
  // owns; returns their names.
  [[nodiscard]] Result<std::vector<std::string>> cleanup_stale();
  // Detaches everything, deletes the table and the bridge. IPv4 forwarding is
  // left on (other software on the node may rely on it).
  [[nodiscard]] Result<void> teardown();

  // `nft list table inet <table>` through libnftables.
  [[nodiscard]] Result<std::string> list_table();
  [[nodiscard]] std::optional<Attachment> attachment(const std::string& vm_id) const;
  [[nodiscard]] const NetworkConfig& config() const { return config_; }
  [[nodiscard]] std::string gateway() const;

 private:
  class Impl;
  HostNetwork(NetworkConfig config, Ipv4Net subnet, std::unique_ptr<Impl> impl);
  [[nodiscard]] Result<std::uint32_t> allocate_address_locked();
  [[nodiscard]] Result<void> detach_locked(const std::string& vm_id);

  const NetworkConfig config_;
  const Ipv4Net subnet_;
  std::unique_ptr<Impl> impl_;  // netlink socket + nftables context; guarded by mutex_
  mutable std::mutex mutex_;
  std::map<std::string, Attachment> attached_;  // by vm id; guarded by mutex_
  std::set<std::uint32_t> used_;                // guest addresses in use; guarded by mutex_
  bool torn_down_ = false;                      // guarded by mutex_
};

// Tap name for a VM on a bridge: "aet" + 8 hex digits of a hash (<= 15 chars).
[[nodiscard]] std::string tap_name(const std::string& bridge, const std::string& vm_id,
                                   unsigned salt = 0);
// Stable, locally administered unicast MAC for a VM id.
[[nodiscard]] std::string guest_mac(const std::string& vm_id);

}  // namespace aether::net
