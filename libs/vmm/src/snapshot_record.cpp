#include "snapshot_record.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace aether::vmm {

Result<void> write_snapshot_record(const std::filesystem::path& dir, const VmConfig& config,
                                   std::string_view vmm) {
  const nlohmann::json record{{"vmm", std::string(vmm)},
                              {"vcpus", config.vcpus},
                              {"memory_mib", config.memory_mib},
                              {"kernel", config.kernel.string()},
                              {"initrd", config.initrd.string()},
                              {"rootfs", config.rootfs ? config.rootfs->string() : ""},
                              {"extra_cmdline", config.extra_cmdline}};
  const auto tmp = dir / "snapshot.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << record.dump(2) << "\n";
    if (!out) return std::unexpected(Error{Errc::kIo, "cannot write " + tmp.string()});
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dir / "snapshot.json", ec);
  if (ec) return std::unexpected(Error{Errc::kIo, "rename " + tmp.string() + ": " + ec.message()});
  return {};
}

Result<void> check_snapshot_record(const std::filesystem::path& dir, const VmConfig& config,
                                   std::string_view vmm) {
  std::ifstream in(dir / "snapshot.json");
  if (!in) {
    return std::unexpected(
        Error{Errc::kMissingFile,
              "snapshot " + dir.string() + ": no snapshot.json (incomplete or absent)"});
  }
  std::stringstream text;
  text << in.rdbuf();
  auto record = nlohmann::json::parse(text.str(), nullptr, false);
  if (record.is_discarded() || !record.is_object()) {
    return std::unexpected(
        Error{Errc::kInvalidConfig, "snapshot " + dir.string() + ": snapshot.json is not JSON"});
  }
  if (const std::string taken_by = record.value("vmm", "qemu"); taken_by != vmm) {
    return std::unexpected(
        Error{Errc::kInvalidConfig, "snapshot " + dir.string() + " was taken by " + taken_by +
                                        "; " + std::string(vmm) + " cannot restore it"});
  }
  auto mismatch = [&](const std::string& field, const std::string& have, const std::string& want) {
    return std::unexpected(Error{Errc::kInvalidConfig, "VmConfig." + field + " " + have +
                                                           " does not match the snapshot's " +
                                                           want + " (" + dir.string() + ")"});
  };
  if (record.value("vcpus", 0u) != config.vcpus) {
    return mismatch("vcpus", std::to_string(config.vcpus),
                    std::to_string(record.value("vcpus", 0u)));
  }
  if (record.value("memory_mib", 0u) != config.memory_mib) {
    return mismatch("memory_mib", std::to_string(config.memory_mib),
                    std::to_string(record.value("memory_mib", 0u)));
  }
  for (const auto& [field, have] :
       {std::pair<std::string, std::string>{"kernel", config.kernel.string()},
        {"initrd", config.initrd.string()},
        {"rootfs", config.rootfs ? config.rootfs->string() : ""},
        {"extra_cmdline", config.extra_cmdline}}) {
    const std::string want = record.value(field, "");
    if (want != have) return mismatch(field, "'" + have + "'", "'" + want + "'");
  }
  return {};
}

}  // namespace aether::vmm
