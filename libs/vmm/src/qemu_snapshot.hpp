// QEMU snapshots as a migration stream in a file: QEMU 7.2 has no `file:`
// migration URI and the sandbox forbids `exec:`, so the stream goes over a
// Unix socket that we listen on (save) or connect to (load) and copy to or
// from the file. A snapshot directory holds memory.bin (the stream: RAM and
// device state), disk.qcow2 (the VM's root-disk overlay at that moment, when
// it has a root file system) and snapshot.json (snapshot_record.hpp), written
// last: a directory without it is incomplete.
// Threads: the caller's (QemuVm under its channel lock, QemuRuntime::restore).
#pragma once

#include <filesystem>
#include <string>

#include "aether/vmm/vm.hpp"
#include "qmp_client.hpp"

namespace aether::vmm {

// Pauses the VM and writes its migration stream to `file`, through a socket
// at `socket_path` (removed after).
[[nodiscard]] Result<void> save_migration(QmpClient& qmp, const std::filesystem::path& socket_path,
                                          const std::filesystem::path& file,
                                          guest_proto::Clock::time_point deadline);

// Feeds `file` to a QEMU started with `-incoming defer`, through a socket at
// `socket_path`, waits for the load to finish and resumes the VM.
[[nodiscard]] Result<void> load_migration(QmpClient& qmp, const std::filesystem::path& socket_path,
                                          const std::filesystem::path& file,
                                          guest_proto::Clock::time_point deadline);

}  // namespace aether::vmm
