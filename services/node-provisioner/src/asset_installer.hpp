// Installs the VM assets onto the node (AETHER_ASSET_DIR): the guest kernel,
// initramfs (and rootfs) shipped in the provisioner's image, verified against
// the image's manifest.json, and extra sources pinned by sha256.
//
// Per file: nothing is fetched when the installed file's sum already matches;
// otherwise the source goes to a temporary file in the same directory while
// being hashed, is fsync'ed, verified, and renamed over the old file (atomic);
// on any failure the temporary file is removed and the old file is kept.
// Leftover temporary files of an interrupted run are removed first.
//
// Threads: one install at a time per asset directory (the caller serialises).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "errors.hpp"
#include "fetch.hpp"

namespace aether::provisioner {

struct AssetSource {
  std::string name;    // installed as <asset_dir>/<name> (may contain one '/')
  std::string source;  // https://..., file://... or an absolute path
  std::string sha256;  // 64 lowercase hex: the pin
};

// "NAME=SOURCE#sha256=HEX" (AETHER_EXTRA_ASSETS items), installed as extra/NAME.
[[nodiscard]] Result<AssetSource> parse_extra_source(const std::string& item);

// The guest image directory that tools/guest/build-image.sh writes: every
// artefact of its manifest.json, installed under guest/.
struct GuestManifest {
  std::vector<AssetSource> sources;  // the artefacts, then manifest.json itself
  std::string version;               // 12 hex of the manifest's sha256: aether.io/assets
  std::string kernel_release;
};
// `prefix`: the directory under the asset dir they go to ("guest", or
// "templates/<name>" for a build-template.sh template, whose manifest has the
// same "artefacts" object).
[[nodiscard]] Result<GuestManifest> read_guest_manifest(const std::filesystem::path& dir,
                                                        const std::string& prefix = "guest");
// Every template (subdirectory with a manifest.json) under root, each to be
// installed as templates/<name>/ — where vm-worker's AETHER_TEMPLATES root
// <asset dir>/templates finds it.
[[nodiscard]] Result<std::vector<GuestManifest>> read_template_manifests(
    const std::filesystem::path& root);

enum class InstallOutcome { kAlreadyCurrent, kInstalled };

struct AssetResult {
  AssetSource source;
  std::filesystem::path path;
  std::optional<InstallOutcome> outcome;  // empty on failure
  std::optional<Error> error;
  std::uint64_t bytes_copied = 0;
  std::chrono::milliseconds duration{0};
};

struct InstallReport {
  std::vector<AssetResult> assets;
  [[nodiscard]] bool ok() const;
  [[nodiscard]] std::string failure_summary() const;
  [[nodiscard]] std::uint64_t bytes_copied() const;
};

[[nodiscard]] Result<std::string> sha256_of_file(const std::filesystem::path& file);

class AssetInstaller {
 public:
  AssetInstaller(std::filesystem::path asset_dir, FetchOptions fetch = {});

  [[nodiscard]] Result<InstallOutcome> install(const AssetSource& source,
                                               std::uint64_t* bytes_copied = nullptr);
  // Every source in order; later ones still run when one fails.
  [[nodiscard]] InstallReport install_all(const std::vector<AssetSource>& sources);

  [[nodiscard]] std::filesystem::path path_of(const AssetSource& source) const;

 private:
  std::filesystem::path asset_dir_;
  FetchOptions fetch_;
};

}  // namespace aether::provisioner
