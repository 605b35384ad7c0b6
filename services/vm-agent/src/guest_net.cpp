#include "guest_net.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace aether::vm_agent {
namespace {

std::optional<std::uint32_t> parse_ipv4(const std::string& text) {
  in_addr a{};
  // inet_pton accepts only dotted decimal with four parts.
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string format_ipv4(std::uint32_t a) {
  in_addr n{htonl(a)};
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &n, buf, sizeof buf);
  return buf;
}

sockaddr to_sockaddr(std::uint32_t address) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(address);
  sockaddr out{};
  std::memcpy(&out, &in, sizeof in);
  return out;
}

bool set_up(int fd, const std::string& ifname, std::string& problem) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    problem = ifname + ": SIOCGIFFLAGS: " + std::strerror(errno);
    return false;
  }
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
    problem = ifname + ": SIOCSIFFLAGS (up): " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

std::optional<GuestNet> parse_guest_net(const std::string& value, std::string& problem) {
  const auto slash = value.find('/');
  const auto comma = value.find(',');
  if (slash == std::string::npos || comma == std::string::npos || comma < slash) {
    problem = "aether.net must be ADDRESS/PREFIX,GATEWAY, got '" + value + "'";
    return std::nullopt;
  }
  GuestNet net;
  auto address = parse_ipv4(value.substr(0, slash));
  auto gateway = parse_ipv4(value.substr(comma + 1));
  const std::string prefix = value.substr(slash + 1, comma - slash - 1);
  char* end = nullptr;
  const unsigned long p = std::strtoul(prefix.c_str(), &end, 10);
  if (!address || !gateway || prefix.empty() || *end != '\0' || p < 1 || p > 30) {
    problem =
        "aether.net must be ADDRESS/PREFIX,GATEWAY with IPv4 addresses and a prefix 1-30, "
        "got '" +
        value + "'";
    return std::nullopt;
  }
  net.address = *address;
  net.prefix = static_cast<unsigned>(p);
  net.gateway = *gateway;
  const std::uint32_t mask = ~std::uint32_t{0} << (32 - net.prefix);
  if ((net.gateway & mask) != (net.address & mask) || net.gateway == net.address) {
    problem = "aether.net: the gateway " + format_ipv4(net.gateway) +
              " must be another address in " + format_ipv4(net.address & mask) + "/" +
              std::to_string(net.prefix);
    return std::nullopt;
  }
  return net;
}

std::string format_guest_net(const GuestNet& net) {
  return format_ipv4(net.address) + "/" + std::to_string(net.prefix) + " via " +
         format_ipv4(net.gateway);
}

bool configure_guest_net(const std::string& ifname, const GuestNet& net,
                         std::chrono::milliseconds wait, std::string& problem) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    problem = std::string("socket(AF_INET): ") + std::strerror(errno);
    return false;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  std::string lo_problem;
  (void)set_up(fd, "lo", lo_problem);  // loopback is nice to have, not required

  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::if_nametoindex(ifname.c_str()) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      problem = ifname + " did not appear (is virtio_net loaded and a NIC attached?)";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_addr = to_sockaddr(net.address);
  if (::ioctl(fd, SIOCSIFADDR, &ifr) != 0) {
    problem = ifname + ": SIOCSIFADDR: " + std::strerror(errno);
    return false;
  }
  ifr.ifr_netmask = to_sockaddr(~std::uint32_t{0} << (32 - net.prefix));
  if (::ioctl(fd, SIOCSIFNETMASK, &ifr) != 0) {
    problem = ifname + ": SIOCSIFNETMASK: " + std::strerror(errno);
    return false;
  }
  if (!set_up(fd, ifname, problem)) return false;
  rtentry route{};
  route.rt_dst = to_sockaddr(0);
  route.rt_genmask = to_sockaddr(0);
  route.rt_gateway = to_sockaddr(net.gateway);
  route.rt_flags = RTF_UP | RTF_GATEWAY;
  std::string dev = ifname;
  route.rt_dev = dev.data();
  if (::ioctl(fd, SIOCADDRT, &route) != 0 && errno != EEXIST) {
    problem =
        ifname + ": default route via " + format_ipv4(net.gateway) + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace aether::vm_agent
