#include "aether/net/egress.hpp"

#include <charconv>

namespace aether::net {
namespace {

// Hostile entries end up in logs and events: quote them printable and short.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > 64) out += "...";
  return out + "'";
}

std::optional<unsigned> parse_number(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;  // 010 could mean octal
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

bool looks_like_hostname(std::string_view host) {
  bool letter = false;
  for (char c : host) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    letter = letter || alpha;
    if (!alpha && !(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '_') return false;
  }
  return letter;
}

}  // namespace

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::kInvalidConfig:
      return "invalid_config";
    case Errc::kInvalidEgress:
      return "invalid_egress";
    case Errc::kExhausted:
      return "exhausted";
    case Errc::kNetlink:
      return "netlink";
    case Errc::kNftables:
      return "nftables";
    case Errc::kTap:
      return "tap";
    case Errc::kIo:
      return "io";
    case Errc::kNotFound:
      return "not_found";
  }
  return "unknown";
}

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  std::uint32_t address = 0;
  for (int part = 0; part < 4; ++part) {
    const auto dot = text.find('.');
    const bool last = part == 3;
    if (last != (dot == std::string_view::npos)) return std::nullopt;
    auto value = parse_number(text.substr(0, dot), 255);
    if (!value || text.substr(0, dot).size() > 3) return std::nullopt;
    address = (address << 8) | *value;
    if (!last) text.remove_prefix(dot + 1);
  }
  return address;
}

std::string format_ipv4(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
         std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

std::string Ipv4Net::str() const {
  return prefix == 32 ? format_ipv4(address) : format_ipv4(address) + "/" + std::to_string(prefix);
}

Result<Ipv4Net> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const auto host = text.substr(0, slash);
  auto address = parse_ipv4(host);
  if (!address) {
    if (looks_like_hostname(host)) {
      return fail(Errc::kInvalidEgress,
                  "hostnames are not supported, give an IPv4 address or CIDR");
    }
    if (host.find(':') != std::string_view::npos || host.find('[') != std::string_view::npos) {
      return fail(Errc::kInvalidEgress, "IPv6 is not supported, give an IPv4 address or CIDR");
    }
    return fail(Errc::kInvalidEgress,
                "not an IPv4 address (a.b.c.d, each part 0-255, no leading zeros)");
  }
  Ipv4Net net{*address, 32};
  if (slash != std::string_view::npos) {
    auto prefix = parse_number(text.substr(slash + 1), 32);
    if (!prefix) return fail(Errc::kInvalidEgress, "the prefix length after '/' must be 0-32");
    net.prefix = *prefix;
  }
  if ((net.address & ~net.mask()) != 0) {
    return fail(Errc::kInvalidEgress, "host bits are set after the prefix (did you mean " +
                                          Ipv4Net{net.address & net.mask(), net.prefix}.str() +
                                          "?)");
  }
  return net;
}

Result<std::vector<EgressRule>> parse_egress_allow(const std::vector<std::string>& entries,
                                                   std::string_view field) {
  if (entries.size() > kMaxEgressEntries) {
    return fail(Errc::kInvalidEgress, std::string(field) + " has " +
                                          std::to_string(entries.size()) + " entries; at most " +
                                          std::to_string(kMaxEgressEntries) + " are allowed");
  }
  std::vector<EgressRule> rules;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string_view entry = entries[i];
    auto bad = [&](const std::string& rule) {
      return fail(Errc::kInvalidEgress, std::string(field) + "[" + std::to_string(i) +
                                            "]: " + quoted(entry) + ": " + rule);
    };
    if (entry.empty()) return bad("is empty: give an IPv4 address or CIDR, optionally with :port");
    if (entry.size() > 64) return bad("is longer than 64 characters");
    EgressRule rule;
    std::string_view host = entry;
    const auto colon = entry.find(':');
    if (colon != std::string_view::npos && entry.find(':', colon + 1) != std::string_view::npos) {
      return bad("IPv6 is not supported, give an IPv4 address or CIDR");
    }
    if (colon != std::string_view::npos) {
      host = entry.substr(0, colon);
      auto port = parse_number(entry.substr(colon + 1), 65535);
      if (!port || *port == 0) return bad("the port after ':' must be a number 1-65535");
      rule.port = static_cast<std::uint16_t>(*port);
    }
    auto net = parse_cidr(host);
    if (!net) return bad(net.error().message);
    rule.destination = *net;
    rules.push_back(rule);
  }
  return rules;
}

const std::vector<Ipv4Net>& special_ranges() {
  static const std::vector<Ipv4Net> ranges = [] {
    std::vector<Ipv4Net> out;
    for (const char* cidr :
         {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
          "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4"}) {
      out.push_back(*parse_cidr(cidr));
    }
    return out;
  }();
  return ranges;
}

}  // namespace aether::net
