#include "netlink.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/neighbour.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace aether::net {
namespace {

template <auto Fn>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    if (p != nullptr) Fn(p);
  }
};
using LinkPtr = std::unique_ptr<rtnl_link, Deleter<rtnl_link_put>>;
using CachePtr = std::unique_ptr<nl_cache, Deleter<nl_cache_free>>;
using AddrPtr = std::unique_ptr<rtnl_addr, Deleter<rtnl_addr_put>>;
using NlAddrPtr = std::unique_ptr<nl_addr, Deleter<nl_addr_put>>;
using NeighPtr = std::unique_ptr<rtnl_neigh, Deleter<rtnl_neigh_put>>;
using MsgPtr = std::unique_ptr<nl_msg, Deleter<nlmsg_free>>;

std::unexpected<Error> nl_fail(const std::string& what, int err) {
  return fail(Errc::kNetlink, what + ": " + nl_geterror(err));
}

LinkInfo info_of(rtnl_link* link) {
  const char* type = rtnl_link_get_type(link);
  return LinkInfo{rtnl_link_get_name(link), rtnl_link_get_ifindex(link), rtnl_link_get_master(link),
                  type != nullptr ? type : ""};
}

Result<NlAddrPtr> ipv4_addr(const std::string& text, unsigned prefix) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) {
    return fail(Errc::kInvalidConfig, "'" + text + "' is not an IPv4 address");
  }
  NlAddrPtr addr(nl_addr_build(AF_INET, &a, sizeof a));
  if (!addr) return fail(Errc::kNetlink, "nl_addr_build failed");
  nl_addr_set_prefixlen(addr.get(), static_cast<int>(prefix));
  return addr;
}

Result<NlAddrPtr> mac_addr(const std::string& mac) {
  nl_addr* addr = nullptr;
  if (int err = nl_addr_parse(mac.c_str(), AF_LLC, &addr); err < 0) {
    return nl_fail("MAC '" + mac + "'", err);
  }
  return NlAddrPtr(addr);
}

// The bridge's IPv4 neighbour entry for `ip`: what pin_guest adds (with the
// MAC) and unpin_guest deletes.
Result<NeighPtr> bridge_neighbour(int bridge_index, const std::string& ip) {
  auto dst = ipv4_addr(ip, 32);
  if (!dst) return std::unexpected(dst.error());
  NeighPtr neigh(rtnl_neigh_alloc());
  rtnl_neigh_set_family(neigh.get(), AF_INET);
  rtnl_neigh_set_ifindex(neigh.get(), bridge_index);
  rtnl_neigh_set_dst(neigh.get(), dst->get());  // takes its own reference
  return neigh;
}

}  // namespace

Result<Netlink> Netlink::open() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) return fail(Errc::kNetlink, "nl_socket_alloc failed");
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock);
    return nl_fail("connecting to rtnetlink", err);
  }
  return Netlink(sock);
}

Netlink::~Netlink() {
  if (sock_ != nullptr) nl_socket_free(sock_);
}

Result<std::vector<LinkInfo>> Netlink::links() {
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(sock_, AF_UNSPEC, &raw); err < 0) {
    return nl_fail("listing links", err);
  }
  CachePtr cache(raw);
  std::vector<LinkInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    out.push_back(info_of(reinterpret_cast<rtnl_link*>(o)));
  }
  return out;
}

Result<std::optional<LinkInfo>> Netlink::find_link(const std::string& name) {
  auto all = links();
  if (!all) return std::unexpected(all.error());
  for (auto& l : *all) {
    if (l.name == name) return l;
  }
  return std::nullopt;
}

Result<LinkInfo> Netlink::ensure_bridge(const std::string& name) {
  auto found = find_link(name);
  if (!found) return std::unexpected(found.error());
  if (*found) {
    if ((*found)->kind != "bridge") {
      return fail(Errc::kInvalidConfig, "bridge '" + name +
                                            "': a device of that name exists and is a '" +
                                            (*found)->kind + "', not a bridge");
    }
    return **found;
  }
  LinkPtr link(rtnl_link_bridge_alloc());
  if (!link) return fail(Errc::kNetlink, "rtnl_link_bridge_alloc failed");
  rtnl_link_set_name(link.get(), name.c_str());
  if (int err = rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
    return nl_fail("creating bridge '" + name + "'", err);
  }
  found = find_link(name);
  if (!found) return std::unexpected(found.error());
  if (!*found) return fail(Errc::kNetlink, "bridge '" + name + "' vanished after creation");
  return **found;
}

Result<void> Netlink::change_link(const std::string& name, const std::string& what,
                                  const std::function<void(rtnl_link*)>& set) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw); err < 0) {
    return nl_fail("looking up '" + name + "'", err);
  }
  LinkPtr orig(raw);
  LinkPtr change(rtnl_link_alloc());
  set(change.get());
  if (int err = rtnl_link_change(sock_, orig.get(), change.get(), 0); err < 0) {
    return nl_fail(what, err);
  }
  return {};
}

Result<void> Netlink::set_up(const std::string& name) {
  return change_link(name, "bringing '" + name + "' up",
                     [](rtnl_link* l) { rtnl_link_set_flags(l, IFF_UP); });
}

Result<void> Netlink::add_address(const std::string& name, const std::string& address,
                                  unsigned prefix) {
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0)
    return fail(Errc::kNetlink, "adding " + address + " to '" + name + "': no such device");
  auto local = ipv4_addr(address, prefix);
  if (!local) return std::unexpected(local.error());
  AddrPtr addr(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(addr.get(), static_cast<int>(index));
  rtnl_addr_set_family(addr.get(), AF_INET);
  if (int err = rtnl_addr_set_local(addr.get(), local->get()); err < 0) {
    return nl_fail("address " + address, err);
  }
  rtnl_addr_set_prefixlen(addr.get(), static_cast<int>(prefix));
  if (int err = rtnl_addr_add(sock_, addr.get(), 0); err < 0 && err != -NLE_EXIST) {
    return nl_fail("adding " + address + "/" + std::to_string(prefix) + " to '" + name + "'", err);
  }
  return {};
}

Result<void> Netlink::create_tap(const std::string& name, std::optional<unsigned> owner) {
  const int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return fail(Errc::kTap, "TAP '" + name + "': open /dev/net/tun: " + std::strerror(errno));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  auto step = [&](unsigned long request, unsigned long arg, const char* what) -> Result<void> {
    const int rc = request == TUNSETIFF ? ::ioctl(fd, request, &ifr) : ::ioctl(fd, request, arg);
    if (rc != 0)
      return fail(Errc::kTap, "TAP '" + name + "': " + what + ": " + std::strerror(errno));
    return {};
  };
  Result<void> r = step(TUNSETIFF, 0, "TUNSETIFF");
  if (r && owner) r = step(TUNSETOWNER, *owner, "TUNSETOWNER");
  if (r) r = step(TUNSETPERSIST, 1, "TUNSETPERSIST");
  ::close(fd);
  return r;
}

Result<void> Netlink::enslave(const std::string& name, int bridge_index) {
  return change_link(name, "enslaving '" + name + "' to the bridge",
                     [bridge_index](rtnl_link* l) { rtnl_link_set_master(l, bridge_index); });
}

Result<void> Netlink::isolate_port(const LinkInfo& port) {
  // libnl 3.7 has no setter for IFLA_BRPORT_ISOLATED: one RTM_SETLINK built by hand.
  MsgPtr msg(nlmsg_alloc_simple(RTM_SETLINK, 0));
  if (!msg) return fail(Errc::kNetlink, "nlmsg_alloc_simple failed");
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = port.index;
  nlattr* info = nullptr;
  if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      (info = nla_nest_start(msg.get(), IFLA_PROTINFO | NLA_F_NESTED)) == nullptr ||
      nla_put_u8(msg.get(), IFLA_BRPORT_ISOLATED, 1) < 0 ||
      nla_put_u8(msg.get(), IFLA_BRPORT_LEARNING, 0) < 0 ||
      nla_put_u8(msg.get(), IFLA_BRPORT_UNICAST_FLOOD, 0) < 0) {
    return fail(Errc::kNetlink, "building the bridge port request for '" + port.name + "'");
  }
  nla_nest_end(msg.get(), info);
  // nl_send_sync frees the message.
  if (int err = nl_send_sync(sock_, msg.release()); err < 0) {
    return nl_fail("isolating bridge port '" + port.name + "'", err);
  }
  return {};
}

Result<void> Netlink::pin_guest(const LinkInfo& port, int bridge_index, const std::string& mac,
                                const std::string& ip) {
  auto ll = mac_addr(mac);
  if (!ll) return std::unexpected(ll.error());
  NeighPtr fdb(rtnl_neigh_alloc());
  rtnl_neigh_set_family(fdb.get(), AF_BRIDGE);
  rtnl_neigh_set_ifindex(fdb.get(), port.index);
  rtnl_neigh_set_lladdr(fdb.get(), ll->get());
  rtnl_neigh_set_state(fdb.get(), NUD_NOARP);  // "static": never aged, never relearned
  rtnl_neigh_set_flags(fdb.get(), NTF_MASTER);
  if (int err = rtnl_neigh_add(sock_, fdb.get(), NLM_F_CREATE | NLM_F_REPLACE); err < 0) {
    return nl_fail("static FDB entry " + mac + " on '" + port.name + "'", err);
  }
  auto neigh = bridge_neighbour(bridge_index, ip);
  if (!neigh) return std::unexpected(neigh.error());
  rtnl_neigh_set_lladdr(neigh->get(), ll->get());
  rtnl_neigh_set_state(neigh->get(), NUD_PERMANENT);
  if (int err = rtnl_neigh_add(sock_, neigh->get(), NLM_F_CREATE | NLM_F_REPLACE); err < 0) {
    return nl_fail("permanent neighbour " + ip + " -> " + mac, err);
  }
  return {};
}

Result<void> Netlink::unpin_guest(int bridge_index, const std::string& ip) {
  auto neigh = bridge_neighbour(bridge_index, ip);
  if (!neigh) return std::unexpected(neigh.error());
  if (int err = rtnl_neigh_delete(sock_, neigh->get(), 0);
      err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV) {
    return nl_fail("deleting neighbour " + ip, err);
  }
  return {};
}

Result<void> Netlink::delete_link(const std::string& name) {
  if (::if_nametoindex(name.c_str()) == 0) return {};
  LinkPtr link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  if (int err = rtnl_link_delete(sock_, link.get()); err < 0 && err != -NLE_NODEV) {
    return nl_fail("deleting '" + name + "'", err);
  }
  return {};
}

}  // namespace aether::net
