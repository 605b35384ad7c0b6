#include "recovery_scan.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace aether::worker {

std::vector<int> processes_using(const std::filesystem::path& dir) {
  std::vector<int> out;
  const std::string needle = dir.string() + "/";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos) out.push_back(pid);
  }
  return out;
}

void wait_gone(const std::vector<int>& pids, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int pid : pids) {
    // A killed orphan is reaped by init (or its subreaper); until then it is a
    // zombie whose cmdline is empty.
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
      std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.is_open() || cmdline.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace aether::worker
