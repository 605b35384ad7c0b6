// Finding the processes a previous run left behind: every process whose
// command line mentions a VM's state dir (QEMU gets its sockets and logs from
// there), by reading /proc/<pid>/cmdline.
#pragma once

#include <chrono>
#include <filesystem>
#include <vector>

namespace aether::worker {

[[nodiscard]] std::vector<int> processes_using(const std::filesystem::path& dir);
// Waits until none of `pids` exists (bounded).
void wait_gone(const std::vector<int>& pids, std::chrono::milliseconds timeout);

}  // namespace aether::worker
