// The link-level operations HostNetwork needs, over rtnetlink (libnl-route-3)
// plus the /dev/net/tun ioctls that create a persistent TAP (rtnetlink cannot
// make a TAP). Each error names the device and the operation.
// Not thread-safe: HostNetwork serialises its use.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aether/net/errors.hpp"

struct nl_sock;
struct rtnl_link;

namespace aether::net {

struct LinkInfo {
  std::string name;
  int index = 0;
  int master = 0;    // ifindex of the bridge it is enslaved to, 0 if none
  std::string kind;  // "bridge", "tun", ... ("" when the kernel does not say)
};

class Netlink {
 public:
  static Result<Netlink> open();
  Netlink(Netlink&& other) noexcept : sock_(other.sock_) { other.sock_ = nullptr; }
  Netlink& operator=(Netlink&&) = delete;
  Netlink(const Netlink&) = delete;
  ~Netlink();

  [[nodiscard]] Result<std::optional<LinkInfo>> find_link(const std::string& name);
  [[nodiscard]] Result<std::vector<LinkInfo>> links();
  // Creates the bridge unless a bridge of that name exists.
  [[nodiscard]] Result<LinkInfo> ensure_bridge(const std::string& name);
  [[nodiscard]] Result<void> set_up(const std::string& name);
  // Adds address/prefix to the device (already present is fine).
  [[nodiscard]] Result<void> add_address(const std::string& name, const std::string& address,
                                         unsigned prefix);
  // A persistent TAP through /dev/net/tun, owned by `owner` when given.
  [[nodiscard]] Result<void> create_tap(const std::string& name, std::optional<unsigned> owner);
  [[nodiscard]] Result<void> enslave(const std::string& name, int bridge_index);
  // Bridge port flags: isolated on, learning and unknown-unicast flooding off.
  [[nodiscard]] Result<void> isolate_port(const LinkInfo& port);
  // Static FDB entry (mac on port) and a permanent neighbour (ip -> mac) on the bridge.
  [[nodiscard]] Result<void> pin_guest(const LinkInfo& port, int bridge_index,
                                       const std::string& mac, const std::string& ip);
  [[nodiscard]] Result<void> unpin_guest(int bridge_index, const std::string& ip);
  // Deletes the device; absent is fine.
  [[nodiscard]] Result<void> delete_link(const std::string& name);

 private:
  explicit Netlink(nl_sock* sock) : sock_(sock) {}
  // Looks the link up, lets `set` fill a change request, applies it; `what`
  // names the step in the error.
  [[nodiscard]] Result<void> change_link(const std::string& name, const std::string& what,
                                         const std::function<void(rtnl_link*)>& set);
  nl_sock* sock_;
};

}  // namespace aether::net
