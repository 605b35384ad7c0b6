#include "ruleset.hpp"

namespace aether::net::ruleset {
namespace {

std::string table_ref(const NetworkConfig& c) { return "inet " + c.table; }

std::string rule_for(const EgressRule& rule) {
  std::string match =
      rule.destination.prefix == 0 ? "meta nfproto ipv4" : "ip daddr " + rule.destination.str();
  if (rule.port) match += " meta l4proto { tcp, udp } th dport " + std::to_string(*rule.port);
  return match + " accept";
}

// Entries that name a denied range (or a part of one) explicitly.
bool names_denied(const EgressRule& rule, const Ipv4Net& subnet) {
  if (subnet.covers(rule.destination)) return true;
  for (const auto& range : special_ranges()) {
    if (range.covers(rule.destination)) return true;
  }
  return false;
}

}  // namespace

std::string drop_table(const NetworkConfig& c) {
  // "add" then "delete" in one batch: deletes whether or not it existed.
  return "add table " + table_ref(c) + "\ndelete table " + table_ref(c) + "\n";
}

std::string base_table(const NetworkConfig& c, const Ipv4Net& subnet) {
  std::string denied;
  bool subnet_covered = false;
  for (const auto& range : special_ranges()) {
    denied += (denied.empty() ? "" : ", ") + range.str();
    subnet_covered = subnet_covered || range.covers(subnet);
  }
  if (!subnet_covered) denied += ", " + subnet.str();
  const std::string br = "\"" + c.bridge + "\"";
  return drop_table(c) + "table " + table_ref(c) + " {\n" +
         "  set denied { type ipv4_addr; flags interval; elements = { " + denied + " } }\n" +
         "  map vm_chains { type ipv4_addr : verdict; }\n"
         "  chain forward {\n"
         "    type filter hook forward priority filter; policy accept;\n"
         "    iifname " +
         br + " jump from_vms\n" + "    oifname " + br + " ct state established,related accept\n" +
         "    oifname " + br + " drop\n" +
         "  }\n"
         "  chain from_vms {\n"
         "    ct state established,related accept\n"
         "    ip saddr vmap @vm_chains\n"
         "    drop\n"
         "  }\n"
         "  chain input {\n"
         "    type filter hook input priority filter; policy accept;\n"
         "    iifname " +
         br + " ct state established,related accept\n" + "    iifname " + br + " drop\n" +
         "  }\n"
         "  chain postrouting {\n"
         "    type nat hook postrouting priority srcnat; policy accept;\n"
         "    ip saddr " +
         subnet.str() + " oifname != " + br + " masquerade\n" +
         "  }\n"
         "}\n";
}

std::string vm_add(const NetworkConfig& c, const Ipv4Net& subnet, const Attachment& vm,
                   const std::vector<EgressRule>& egress) {
  const std::string t = table_ref(c);
  const std::string out_chain = "vm_" + vm.tap;
  const std::string in_chain = "in_" + vm.tap;
  std::string b = "add chain " + t + " " + out_chain + "\n";
  auto rule = [&](const std::string& text) {
    b += "add rule " + t + " " + out_chain + " " + text + "\n";
  };
  for (const auto& e : egress) {
    if (!c.deny_private || names_denied(e, subnet)) rule(rule_for(e));
  }
  if (c.deny_private) rule("ip daddr @denied reject with icmpx admin-prohibited");
  for (const auto& e : egress) {
    if (c.deny_private && !names_denied(e, subnet)) rule(rule_for(e));
  }
  rule(egress.empty() ? "accept" : "reject with icmpx admin-prohibited");
  // Anti-spoofing where the guest's frames enter the host, before the bridge.
  b += "add chain " + t + " " + in_chain + " { type filter hook ingress device \"" + vm.tap +
       "\" priority filter; policy accept; }\n";
  b += "add rule " + t + " " + in_chain + " ether saddr != " + vm.mac + " counter drop\n";
  b += "add rule " + t + " " + in_chain + " meta protocol ip ip saddr != " + vm.guest_address +
       " counter drop\n";
  b += "add rule " + t + " " + in_chain + " meta protocol ip6 counter drop\n";
  b += "add element " + t + " vm_chains { " + vm.guest_address + " : jump " + out_chain + " }\n";
  return b;
}

std::string vm_remove(const NetworkConfig& c, const Attachment& vm) {
  const std::string t = table_ref(c);
  return "delete element " + t + " vm_chains { " + vm.guest_address + " }\n" + "delete chain " + t +
         " in_" + vm.tap + "\n" + "flush chain " + t + " vm_" + vm.tap + "\n" + "delete chain " +
         t + " vm_" + vm.tap + "\n";
}

}  // namespace aether::net::ruleset
