// The record of a paused VM (Vm::pause / Runtime::resume): pause.json beside
// the migration stream in <state_dir>/paused, written last, so a directory
// without it is an incomplete pause. It keeps every field that shapes the VM,
// so a worker restarted while the VM was paused can resume it from the state
// dir alone.
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "pause_record.hpp"

namespace aether::vmm {
namespace {

constexpr const char* kRecord = "pause.json";

std::string opt(const std::optional<std::string>& value) { return value.value_or(""); }

std::optional<std::string> opt_of(const nlohmann::json& record, const char* field) {
  const std::string value = record.value(field, "");
  if (value.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::filesystem::path paused_dir(const std::filesystem::path& state_dir) {
  return state_dir / "paused";
}

bool is_paused(const std::filesystem::path& state_dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(paused_dir(state_dir) / kRecord, ec);
}

void discard_pause(const std::filesystem::path& state_dir) {
  std::error_code ec;
  std::filesystem::remove_all(paused_dir(state_dir), ec);
}

Result<void> write_pause_record(const VmConfig& config) {
  const nlohmann::json record{{"id", config.id},
                              {"vcpus", config.vcpus},
                              {"memory_mib", config.memory_mib},
                              {"kernel", config.kernel.string()},
                              {"initrd", config.initrd.string()},
                              {"rootfs", config.rootfs ? config.rootfs->string() : ""},
                              {"extra_cmdline", config.extra_cmdline},
                              {"tap_device", opt(config.tap_device)},
                              {"guest_mac", opt(config.guest_mac)},
                              {"guest_net", opt(config.guest_net)}};
  const auto dir = paused_dir(config.state_dir);
  const auto tmp = dir / "pause.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << record.dump(2) << "\n";
    if (!out) return std::unexpected(Error{Errc::kIo, "cannot write " + tmp.string()});
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dir / kRecord, ec);
  if (ec) return std::unexpected(Error{Errc::kIo, "rename " + tmp.string() + ": " + ec.message()});
  return {};
}

Result<VmConfig> read_pause_record(const std::filesystem::path& state_dir) {
  const auto path = paused_dir(state_dir) / kRecord;
  std::ifstream in(path);
  if (!in) {
    return std::unexpected(
        Error{Errc::kMissingFile, "no paused VM in " + state_dir.string() + " (" + path.string() +
                                      " absent: never paused, resumed, or an incomplete pause)"});
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto record = nlohmann::json::parse(text.str(), nullptr, false);
  if (record.is_discarded() || !record.is_object() || !record.contains("id") ||
      !record["id"].is_string() || !record.value("vcpus", nlohmann::json()).is_number_unsigned() ||
      !record.value("memory_mib", nlohmann::json()).is_number_unsigned()) {
    return std::unexpected(
        Error{Errc::kInvalidConfig, path.string() + " is not a pause record (needs id, vcpus, "
                                                    "memory_mib, kernel, initrd)"});
  }
  VmConfig config;
  config.id = record["id"].get<std::string>();
  config.state_dir = state_dir;
  config.vcpus = record["vcpus"].get<unsigned>();
  config.memory_mib = record["memory_mib"].get<unsigned>();
  config.kernel = record.value("kernel", "");
  config.initrd = record.value("initrd", "");
  if (auto rootfs = opt_of(record, "rootfs")) config.rootfs = *rootfs;
  config.extra_cmdline = record.value("extra_cmdline", "");
  config.tap_device = opt_of(record, "tap_device");
  config.guest_mac = opt_of(record, "guest_mac");
  config.guest_net = opt_of(record, "guest_net");
  return config;
}

Result<void> check_pause_record(const VmConfig& config) {
  auto recorded = read_pause_record(config.state_dir);
  if (!recorded) return std::unexpected(recorded.error());
  const auto& r = *recorded;
  auto mismatch = [&](const std::string& field, const std::string& have, const std::string& want) {
    return std::unexpected(Error{Errc::kInvalidConfig,
                                 "VmConfig." + field + " '" + have + "' differs from the paused " +
                                     "VM's '" + want + "' (" + config.state_dir.string() + ")"});
  };
  const std::pair<std::string, std::pair<std::string, std::string>> fields[] = {
      {"id", {config.id, r.id}},
      {"vcpus", {std::to_string(config.vcpus), std::to_string(r.vcpus)}},
      {"memory_mib", {std::to_string(config.memory_mib), std::to_string(r.memory_mib)}},
      {"kernel", {config.kernel.string(), r.kernel.string()}},
      {"initrd", {config.initrd.string(), r.initrd.string()}},
      {"rootfs",
       {config.rootfs ? config.rootfs->string() : "", r.rootfs ? r.rootfs->string() : ""}},
      {"extra_cmdline", {config.extra_cmdline, r.extra_cmdline}},
      {"tap_device", {opt(config.tap_device), opt(r.tap_device)}},
      {"guest_mac", {opt(config.guest_mac), opt(r.guest_mac)}},
      {"guest_net", {opt(config.guest_net), opt(r.guest_net)}},
  };
  for (const auto& [field, values] : fields) {
    if (values.first != values.second) return mismatch(field, values.first, values.second);
  }
  return {};
}

}  // namespace aether::vmm
