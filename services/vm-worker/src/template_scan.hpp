// Template lookup: the directories tools/guest/build-template.sh writes
// (vmlinux, initramfs.cpio, rootfs.ext4, manifest.json of kind
// "aether-template") found under a template root by their directory name.
// Read once at start-up; the result goes into WorkerConfig::templates.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "errors.hpp"
#include "worker_config.hpp"

namespace aether::worker {

// One template directory: its files and what its manifest says of the image.
// Errc::kInvalidConfig naming the file when the manifest is unreadable, of
// another kind, or names no rootfs.ext4.
[[nodiscard]] Result<GuestTemplate> read_template_dir(const std::filesystem::path& dir);

// Every subdirectory of root holding a manifest.json of kind "aether-template"
// (other subdirectories, e.g. a build-image.sh guest, are skipped). Errors: the
// root is not a directory, a template's name is not [A-Za-z0-9_-]{1,64}, or its
// manifest is bad (each named).
[[nodiscard]] Result<std::map<std::string, GuestTemplate>> scan_template_root(
    const std::filesystem::path& root);

}  // namespace aether::worker
