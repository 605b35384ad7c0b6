#include "launch.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "aether/devstack/net.hpp"

namespace aether::devstack::detail {
namespace {

constexpr std::chrono::milliseconds kReadyPoll{50};

std::string to_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

Result<std::string> find_program(const std::vector<std::string>& candidates,
                                 const std::string& option) {
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
    if (candidate.find('/') != std::string::npos) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
      tried += " " + candidate;
      continue;
    }
    for (const auto& dir : dirs) {
      std::string full = dir + "/" + candidate;
      if (access(full.c_str(), X_OK) == 0) return full;
    }
    tried += " " + candidate + " (in PATH)";
  }
  return make_error(Errc::kNotFound, option + ": no executable found; tried" + tried +
                                         " (is its Debian package installed? see make deps)");
}

Result<ChildProcess> launch(const std::string& what, ProcessSpec spec,
                            std::chrono::milliseconds timeout, const std::function<bool()>& ready) {
  const auto log_file = spec.log_file;
  auto child = ChildProcess::spawn(std::move(spec));
  if (!child) return std::unexpected(child.error());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!child->running()) {
      return make_error(Errc::kStartFailed, what + " " + child->exit_description().value_or("") +
                                                " before it became ready; last lines of " +
                                                log_file.string() + ":\n" + log_tail(log_file));
    }
    if (ready()) return std::move(*child);
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kReadyPoll);
  }
  (void)child->stop();
  return make_error(Errc::kTimeout, what + " was not ready within " +
                                        std::to_string(timeout.count()) + " ms; last lines of " +
                                        log_file.string() + ":\n" + log_tail(log_file));
}

Result<void> run_to_completion(const std::string& what, ProcessSpec spec,
                               std::chrono::milliseconds timeout) {
  const auto log_file = spec.log_file;
  auto child = ChildProcess::spawn(std::move(spec));
  if (!child) return std::unexpected(child.error());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (child->running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)child->stop();
      return make_error(Errc::kTimeout,
                        what + " did not finish within " + std::to_string(timeout.count()) +
                            " ms; last lines of " + log_file.string() + ":\n" + log_tail(log_file));
    }
    std::this_thread::sleep_for(kReadyPoll);
  }
  if (!child->exited_successfully()) {
    return make_error(Errc::kStartFailed, what + " " + child->exit_description().value_or("") +
                                              "; last lines of " + log_file.string() + ":\n" +
                                              log_tail(log_file));
  }
  return {};
}

std::string url_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

bool is_port_conflict(const Error& error) {
  return to_lower(error.message).find("address already in use") != std::string::npos;
}

Result<int> pick_port(int configured) {
  if (configured != 0) return configured;
  return free_port();
}

}  // namespace aether::devstack::detail
