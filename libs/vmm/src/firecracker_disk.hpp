// The Firecracker VM's own root disk: Firecracker attaches a drive writable
// and has no copy-on-write layer of its own, so each VM (booted or restored)
// gets a copy of the image in its state dir, and a snapshot keeps a copy of
// that. The copy is a reflink where the file system can (XFS, btrfs), else a
// sparse copy of the data extents.
// Threads: any.
#pragma once

#include <filesystem>

#include "aether/vmm/errors.hpp"

namespace aether::vmm {

// Copies `from` to `to` (replaced through a rename, so `to` is never half
// written). kMissingFile names an absent `from`; kIo otherwise.
[[nodiscard]] Result<void> clone_disk(const std::filesystem::path& from,
                                      const std::filesystem::path& to);

}  // namespace aether::vmm
