#include "template_scan.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace aether::worker {
namespace {

bool valid_template_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

Result<GuestTemplate> read_template_dir(const std::filesystem::path& dir) {
  const auto file = dir / "manifest.json";
  std::ifstream in(file);
  if (!in) return fail(Errc::kInvalidConfig, "template " + file.string() + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return fail(Errc::kInvalidConfig, "template " + file.string() + ": not JSON");
  }
  if (json.value("kind", "") != "aether-template") {
    return fail(Errc::kInvalidConfig,
                "template " + file.string() + ": kind is not \"aether-template\"");
  }
  const auto& artefacts = json.value("artefacts", nlohmann::json::object());
  if (!artefacts.is_object() || !artefacts.contains("rootfs.ext4")) {
    return fail(Errc::kInvalidConfig,
                "template " + file.string() + ": artefacts name no rootfs.ext4");
  }
  GuestTemplate t{dir / "vmlinux", dir / "initramfs.cpio"};
  t.rootfs = dir / "rootfs.ext4";
  if (json.contains("image") && json["image"].is_object()) {
    const auto& image = json["image"];
    t.image_id = image.value("image_id", "");
    t.image_source = image.value("source", "");
    t.image_digest = image.value("manifest_digest", "");
  }
  return t;
}

Result<std::map<std::string, GuestTemplate>> scan_template_root(const std::filesystem::path& root) {
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    return fail(Errc::kInvalidConfig,
                "AETHER_TEMPLATES root '" + root.string() + "' is not a directory");
  }
  std::map<std::string, GuestTemplate> out;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with('.') || !entry.is_directory(ec)) continue;  // build-template's work dirs
    if (!std::filesystem::exists(entry.path() / "manifest.json", ec)) continue;
    {
      std::ifstream probe(entry.path() / "manifest.json");
      std::stringstream text;
      text << probe.rdbuf();
      if (text.str().find("\"aether-template\"") == std::string::npos) continue;  // e.g. guest/
    }
    if (!valid_template_name(name)) {
      return fail(Errc::kInvalidConfig, "AETHER_TEMPLATES root '" + root.string() +
                                            "': template directory '" + name +
                                            "' is not a name of 1-64 [A-Za-z0-9_-]");
    }
    auto t = read_template_dir(entry.path());
    if (!t) return std::unexpected(t.error());
    out[name] = std::move(*t);
  }
  if (ec) {
    return fail(Errc::kInvalidConfig,
                "AETHER_TEMPLATES root '" + root.string() + "': " + ec.message());
  }
  return out;
}

}  // namespace aether::worker
