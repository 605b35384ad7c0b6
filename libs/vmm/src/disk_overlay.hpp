// The per-VM writable layer on a template's shared read-only root file
// system: a qcow2 file in the VM's state dir whose backing file is the raw
// ext4 base (`qemu-img create -f qcow2 -b BASE -F raw`). N VMs of a template
// cost one base on disk plus what each writes; the base is never opened for
// writing (QEMU opens a backing file read-only). The overlay goes with the
// state dir when the VM is deleted.
#pragma once

#include <filesystem>
#include <string>

#include "aether/vmm/errors.hpp"

namespace aether::vmm {

// Creates `overlay` backed by `base` (absolute path recorded in the overlay)
// with `qemu_img` (name on PATH or a path). Errors: kMissingFile (base or
// qemu-img absent, naming it), kIo (qemu-img failed; its output quoted).
// `base_format`: "raw" for a template's ext4, "qcow2" for a snapshot's disk
// (itself an overlay on the template).
[[nodiscard]] Result<void> create_overlay(const std::string& qemu_img,
                                          const std::filesystem::path& base,
                                          const std::filesystem::path& overlay,
                                          const std::string& base_format = "raw");

}  // namespace aether::vmm
