// Helpers around processes we did not necessarily spawn, logs and programs.
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "aether/process/process.hpp"

namespace aether::process {
namespace {

constexpr std::chrono::milliseconds kPollInterval{20};
constexpr std::chrono::milliseconds kKillWait{5'000};

}  // namespace

bool pid_alive(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return true;
  char state = line[paren + 2];
  return state != 'Z' && state != 'X';
}

std::string pid_program(pid_t pid) {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  return ec ? std::string() : exe.string();
}

bool pid_runs_program(pid_t pid, const std::string& program) {
  if (!pid_alive(pid)) return false;
  std::error_code ec;
  auto expected = std::filesystem::weakly_canonical(program, ec);
  if (ec) expected = program;
  const std::string actual = pid_program(pid);
  // A binary replaced by a package upgrade shows as "<path> (deleted)".
  return actual == expected.string() || actual == expected.string() + " (deleted)";
}

Result<void> stop_pid(pid_t pid, int signal, std::chrono::milliseconds grace) {
  if (!pid_alive(pid)) return {};
  auto gone = [pid] {
    int status = 0;
    ::waitpid(pid, &status, WNOHANG);  // reaps it if it happens to be our child
    return !pid_alive(pid);
  };
  auto wait_gone = [&](std::chrono::milliseconds bound) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (!gone() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPollInterval);
    }
    return gone();
  };
  const bool leads_group = ::getpgid(pid) == pid;
  if (::kill(pid, signal) != 0 && errno != ESRCH) {
    return std::unexpected(
        Error{Errc::kIo, "kill(" + std::to_string(pid) + "): " + std::strerror(errno)});
  }
  if (!wait_gone(grace)) {
    spdlog::warn("process: pid {} ignored signal {} for {} ms; killing it", pid, signal,
                 grace.count());
  }
  if (leads_group) ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  if (!wait_gone(kKillWait)) {
    return std::unexpected(
        Error{Errc::kTimeout, "pid " + std::to_string(pid) + " still runs after SIGKILL"});
  }
  return {};
}

std::string log_tail(const std::filesystem::path& file, int max_lines, std::size_t max_bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  in.seekg(static_cast<std::streamoff>(size > max_bytes ? size - max_bytes : 0));
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  if (max_lines <= 0) return text;
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (int lines = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++lines == max_lines) break;
  }
  return text.substr(pos);
}

Result<std::string> find_program(const std::vector<std::string>& candidates) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream in(path);
    for (std::string dir; std::getline(in, dir, ':');) {
      if (!dir.empty()) dirs.push_back(dir);
    }
  }
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"}) {
    dirs.emplace_back(dir);
  }
  std::string tried;
  for (const auto& candidate : candidates) {
    if (candidate.empty()) continue;
    if (candidate.find('/') != std::string::npos) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      tried += " " + candidate;
      continue;
    }
    for (const auto& dir : dirs) {
      std::string full = dir + "/" + candidate;
      if (::access(full.c_str(), X_OK) == 0) return full;
    }
    tried += " " + candidate + " (in PATH)";
  }
  if (tried.empty()) return std::unexpected(Error{Errc::kInvalidArgument, "no program named"});
  return std::unexpected(Error{Errc::kNotFound, "no executable found; tried" + tried});
}

}  // namespace aether::process
