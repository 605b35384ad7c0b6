#include "aether/net/host_network.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>

#include "netlink.hpp"
#include "nft.hpp"
#include "ruleset.hpp"

namespace aether::net {
namespace {

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

bool name_chars(const std::string& s, bool allow_dash) {
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || (allow_dash && c == '-');
    if (!ok) return false;
  }
  return true;
}

Result<void> write_proc(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  if (!out) return fail(Errc::kIo, "cannot write '" + value + "' to " + path);
  return {};
}

}  // namespace

std::string tap_name(const std::string& bridge, const std::string& vm_id, unsigned salt) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x",
                static_cast<unsigned>(fnv1a(bridge + "/" + vm_id + "/" + std::to_string(salt))));
  return std::string("aet") + hex;
}

std::string guest_mac(const std::string& vm_id) {
  const std::uint64_t h = fnv1a(vm_id);
  char mac[18];
  // 0x02: locally administered, unicast.
  std::snprintf(mac, sizeof mac, "02:%02x:%02x:%02x:%02x:%02x", unsigned(h >> 32) & 0xff,
                unsigned(h >> 24) & 0xff, unsigned(h >> 16) & 0xff, unsigned(h >> 8) & 0xff,
                unsigned(h) & 0xff);
  return mac;
}

std::optional<std::string> bridge_name_problem(const std::string& name) {
  if (name.empty() || name.size() > 15 || !name_chars(name, true)) {
    return "must be 1-15 characters of [A-Za-z0-9_-] (a Linux interface name)";
  }
  return std::nullopt;
}

std::optional<std::string> table_name_problem(const std::string& name) {
  if (name.empty() || name.size() > 32 || !name_chars(name, false)) {
    return "must be 1-32 characters of [A-Za-z0-9_]";
  }
  return std::nullopt;
}

std::optional<std::string> subnet_problem(const std::string& subnet) {
  auto net = parse_cidr(subnet);
  if (!net) return "must be an IPv4 CIDR such as 10.200.0.0/16: " + net.error().message;
  if (net->prefix < 8 || net->prefix > 29) {
    return "prefix length must be 8..29 (room for the gateway and guests), got /" +
           std::to_string(net->prefix);
  }
  return std::nullopt;
}

Result<void> validate(const NetworkConfig& c) {
  if (auto p = bridge_name_problem(c.bridge)) {
    return fail(Errc::kInvalidConfig, "NetworkConfig.bridge '" + c.bridge + "': " + *p);
  }
  if (auto p = subnet_problem(c.subnet)) {
    return fail(Errc::kInvalidConfig, "NetworkConfig.subnet '" + c.subnet + "': " + *p);
  }
  if (auto p = table_name_problem(c.table)) {
    return fail(Errc::kInvalidConfig, "NetworkConfig.table '" + c.table + "': " + *p);
  }
  return {};
}

class HostNetwork::Impl {
 public:
  Impl(Netlink nl, Nft nft) : netlink(std::move(nl)), nft(std::move(nft)) {}
  Netlink netlink;
  Nft nft;
  int bridge_index = 0;
};

HostNetwork::HostNetwork(NetworkConfig config, Ipv4Net subnet, std::unique_ptr<Impl> impl)
    : config_(std::move(config)), subnet_(subnet), impl_(std::move(impl)) {}

HostNetwork::~HostNetwork() = default;

std::string HostNetwork::gateway() const { return format_ipv4(subnet_.address + 1); }

Result<std::unique_ptr<HostNetwork>> HostNetwork::setup(const NetworkConfig& config) {
  if (auto v = validate(config); !v) return std::unexpected(v.error());
  const Ipv4Net subnet = *parse_cidr(config.subnet);
  auto nl = Netlink::open();
  if (!nl) return std::unexpected(nl.error());
  auto nft = Nft::open();
  if (!nft) return std::unexpected(nft.error());
  auto impl = std::make_unique<Impl>(std::move(*nl), std::move(*nft));

  if (auto f = write_proc("/proc/sys/net/ipv4/ip_forward", "1"); !f) {
    return fail(Errc::kIo, "turning on IPv4 forwarding: " + f.error().message);
  }
  auto bridge = impl->netlink.ensure_bridge(config.bridge);
  if (!bridge) return std::unexpected(bridge.error());
  impl->bridge_index = bridge->index;
  if (auto a =
          impl->netlink.add_address(config.bridge, format_ipv4(subnet.address + 1), subnet.prefix);
      !a) {
    return std::unexpected(a.error());
  }
  if (auto u = impl->netlink.set_up(config.bridge); !u) return std::unexpected(u.error());
  if (auto r = impl->nft.run(ruleset::base_table(config, subnet), "table inet " + config.table);
      !r) {
    return std::unexpected(r.error());
  }
  spdlog::info("net: bridge {} ({}/{}), table inet {} ready", config.bridge,
               format_ipv4(subnet.address + 1), subnet.prefix, config.table);
  return std::unique_ptr<HostNetwork>(new HostNetwork(config, subnet, std::move(impl)));
}

Result<std::uint32_t> HostNetwork::allocate_address_locked() {
  const std::uint32_t first = subnet_.address + 2;                     // +1 is the gateway
  const std::uint32_t last = (subnet_.address | ~subnet_.mask()) - 1;  // before broadcast
  for (std::uint32_t a = first; a <= last; ++a) {
    if (!used_.contains(a)) return a;
  }
  return fail(Errc::kExhausted, "no free guest address left in " + subnet_.str() + " (" +
                                    std::to_string(used_.size()) + " in use)");
}

Result<Attachment> HostNetwork::attach(const std::string& vm_id,
                                       const std::vector<std::string>& egress_allow) {
  auto egress = parse_egress_allow(egress_allow);
  if (!egress) return std::unexpected(egress.error());
  std::lock_guard lock(mutex_);
  if (torn_down_) return fail(Errc::kInvalidConfig, "attach " + vm_id + ": network torn down");
  if (attached_.contains(vm_id)) {
    return fail(Errc::kInvalidConfig, "attach " + vm_id + ": the VM is already attached");
  }
  auto address = allocate_address_locked();
  if (!address) return std::unexpected(address.error());

  Attachment a;
  a.vm_id = vm_id;
  a.mac = guest_mac(vm_id);
  a.guest_address = format_ipv4(*address);
  a.prefix = subnet_.prefix;
  a.gateway = gateway();
  for (unsigned salt = 0;; ++salt) {  // a hash collision with another attached VM
    a.tap = tap_name(config_.bridge, vm_id, salt);
    bool taken = false;
    for (const auto& [id, other] : attached_) taken = taken || other.tap == a.tap;
    if (!taken) break;
  }
  auto& nl = impl_->netlink;
  // A TAP of that name left by a crash is ours (the name hashes the bridge
  // and the VM id); any other kind of device is not, and is left alone.
  auto existing = nl.find_link(a.tap);
  if (!existing) return std::unexpected(existing.error());
  if (*existing) {
    if ((*existing)->kind != "tun") {
      return fail(Errc::kTap, "attach " + vm_id + ": the name '" + a.tap + "' is taken by a '" +
                                  (*existing)->kind + "' device that is not a TAP");
    }
    if (auto d = nl.delete_link(a.tap); !d) return std::unexpected(d.error());
  }

  auto undo = [&](Error e) -> Result<Attachment> {
    (void)nl.unpin_guest(impl_->bridge_index, a.guest_address);
    (void)nl.delete_link(a.tap);
    e.message = "attach " + vm_id + ": " + e.message;
    return std::unexpected(std::move(e));
  };
  if (auto r = nl.create_tap(a.tap, config_.tap_owner); !r) return undo(r.error());
  if (auto r = nl.enslave(a.tap, impl_->bridge_index); !r) return undo(r.error());
  auto port = nl.find_link(a.tap);
  if (!port || !*port) {
    return undo(port ? Error{Errc::kNetlink, "TAP '" + a.tap + "' vanished"} : port.error());
  }
  if (auto r = nl.isolate_port(**port); !r) return undo(r.error());
  if (auto r = nl.pin_guest(**port, impl_->bridge_index, a.mac, a.guest_address); !r) {
    return undo(r.error());
  }
  if (auto r = nl.set_up(a.tap); !r) return undo(r.error());
  if (auto r = impl_->nft.run(ruleset::vm_add(config_, subnet_, a, *egress), "rules of " + vm_id);
      !r) {
    return undo(r.error());
  }
  used_.insert(*address);
  attached_[vm_id] = a;
  spdlog::info("net: VM {} attached: {} on {}, {} egress entr{}", vm_id, a.guest_address, a.tap,
               egress->size(), egress->size() == 1 ? "y" : "ies");
  return a;
}

Result<void> HostNetwork::detach(const std::string& vm_id) {
  std::lock_guard lock(mutex_);
  return detach_locked(vm_id);
}

Result<void> HostNetwork::detach_locked(const std::string& vm_id) {
  auto it = attached_.find(vm_id);
  if (it == attached_.end()) return fail(Errc::kNotFound, "detach " + vm_id + ": not attached");
  const Attachment a = it->second;
  // Everything is attempted; the first error is reported.
  Result<void> result;
  auto keep = [&](Result<void> r) {
    if (!r && result) result = std::unexpected(r.error());
  };
  if (auto r = impl_->nft.run(ruleset::vm_remove(config_, a), "removing rules of " + vm_id); !r) {
    keep(std::unexpected(r.error()));
  }
  keep(impl_->netlink.unpin_guest(impl_->bridge_index, a.guest_address));
  keep(impl_->netlink.delete_link(a.tap));
  used_.erase(*parse_ipv4(a.guest_address));
  attached_.erase(it);
  return result;
}

Result<std::vector<std::string>> HostNetwork::cleanup_stale() {
  std::lock_guard lock(mutex_);
  auto links = impl_->netlink.links();
  if (!links) return std::unexpected(links.error());
  std::vector<std::string> removed;
  for (const auto& l : *links) {
    if (l.master != impl_->bridge_index) continue;
    bool ours = false;
    for (const auto& [id, a] : attached_) ours = ours || a.tap == l.name;
    if (ours) continue;
    if (auto d = impl_->netlink.delete_link(l.name); !d) return std::unexpected(d.error());
    removed.push_back(l.name);
  }
  // Rules of VMs a previous run attached went with the table (setup replaces it).
  if (!removed.empty())
    spdlog::warn("net: removed {} stale TAP(s) from {}", removed.size(), config_.bridge);
  return removed;
}

Result<void> HostNetwork::teardown() {
  std::lock_guard lock(mutex_);
  if (torn_down_) return {};
  torn_down_ = true;
  Result<void> result;
  std::vector<std::string> ids;
  for (const auto& [id, a] : attached_) ids.push_back(id);
  for (const auto& id : ids) {
    if (auto r = detach_locked(id); !r && result) result = r;
  }
  if (auto r = impl_->nft.run(ruleset::drop_table(config_), "deleting table inet " + config_.table);
      !r && result) {
    result = std::unexpected(r.error());
  }
  if (auto r = impl_->netlink.delete_link(config_.bridge); !r && result) result = r;
  return result;
}

Result<std::string> HostNetwork::list_table() {
  std::lock_guard lock(mutex_);
  return impl_->nft.run("list table inet " + config_.table, "listing table inet " + config_.table);
}

std::optional<Attachment> HostNetwork::attachment(const std::string& vm_id) const {
  std::lock_guard lock(mutex_);
  auto it = attached_.find(vm_id);
  if (it == attached_.end()) return std::nullopt;
  return it->second;
}

}  // namespace aether::net
