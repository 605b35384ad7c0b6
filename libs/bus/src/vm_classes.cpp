// Size classes of VM creates (declared in aether/bus/jetstream.hpp).
#include <charconv>
#include <set>

#include "aether/bus/jetstream.hpp"

namespace aether::bus {
namespace {

bool valid_class_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// "512", "512MiB", "2GiB" -> MiB.
bool parse_memory_mib(std::string_view s, std::uint64_t& out) {
  std::uint64_t scale = 1;
  if (s.ends_with("GiB")) {
    scale = 1024;
    s.remove_suffix(3);
  } else if (s.ends_with("MiB")) {
    s.remove_suffix(3);
  }
  if (!parse_number(s, out) || out == 0 || out > (std::uint64_t{1} << 40)) return false;
  out *= scale;
  return true;
}

Error class_error(std::string_view item, const std::string& why) {
  return Error{Errc::kInvalidArgument, "class '" + std::string(item) + "': " + why};
}

}  // namespace

const VmClassTable& default_vm_classes() {
  static const VmClassTable table{{"small", 1, 512}, {"medium", 2, 2048}, {"large", 8, 16384}};
  return table;
}

Result<VmClassTable> parse_vm_classes(std::string_view text) {
  VmClassTable out;
  std::set<std::string> names;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto eq = item.find('=');
    const auto x = item.find('x', eq == std::string_view::npos ? 0 : eq);
    if (eq == std::string_view::npos || x == std::string_view::npos) {
      return std::unexpected(class_error(item, "must be name=VCPUSxMEMORY (e.g. small=1x512MiB)"));
    }
    VmClass c;
    c.name = std::string(item.substr(0, eq));
    if (!valid_class_name(c.name)) {
      return std::unexpected(class_error(item, "name must be 1-32 characters of [a-z0-9_-]"));
    }
    if (!names.insert(c.name).second) {
      return std::unexpected(class_error(item, "name '" + c.name + "' given twice"));
    }
    if (!parse_number(item.substr(eq + 1, x - eq - 1), c.vcpus) || c.vcpus == 0 || c.vcpus > 4096) {
      return std::unexpected(class_error(item, "vCPUs must be a number 1..4096"));
    }
    if (!parse_memory_mib(item.substr(x + 1), c.memory_mib)) {
      return std::unexpected(
          class_error(item, "memory must be a positive number of MiB (512, 512MiB or 2GiB)"));
    }
    if (!out.empty() && (c.vcpus < out.back().vcpus || c.memory_mib < out.back().memory_mib)) {
      return std::unexpected(class_error(
          item, "smaller than '" + out.back().name +
                    "' before it: list classes smallest first, each at least as large as the "
                    "one before in vCPUs and in memory"));
    }
    if (!out.empty() && c.vcpus == out.back().vcpus && c.memory_mib == out.back().memory_mib) {
      return std::unexpected(class_error(item, "same size as '" + out.back().name + "'"));
    }
    out.push_back(std::move(c));
  }
  if (out.empty()) {
    return std::unexpected(Error{Errc::kInvalidArgument, "no class given (name=VCPUSxMEMORY,...)"});
  }
  return out;
}

std::string format_vm_classes(const VmClassTable& table) {
  std::string out;
  for (const auto& c : table) {
    if (!out.empty()) out += ",";
    out += c.name + "=" + std::to_string(c.vcpus) + "x" + std::to_string(c.memory_mib) + "MiB";
  }
  return out;
}

std::size_t vm_class_index(const VmClassTable& table, std::uint32_t vcpus,
                           std::uint64_t memory_mib) {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (vcpus <= table[i].vcpus && memory_mib <= table[i].memory_mib) return i;
  }
  return table.empty() ? 0 : table.size() - 1;
}

std::string vm_create_subject(std::uint32_t vcpus, std::uint64_t memory_mib,
                              const VmClassTable& table) {
  if (table.empty()) return std::string(kVmCreateSubject);
  return vm_create_class_subject(table[vm_class_index(table, vcpus, memory_mib)].name);
}

std::string vm_create_class_subject(std::string_view class_name) {
  return std::string(kVmCreateSubject) + "." + std::string(class_name);
}

std::string vm_create_class_consumer(std::string_view class_name) {
  return std::string(kVmCreateConsumer) + "-" + std::string(class_name);
}

}  // namespace aether::bus
