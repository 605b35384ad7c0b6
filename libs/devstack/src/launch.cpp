#include "launch.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <thread>

#include "aether/devstack/net.hpp"
#include "aether/devstack/server.hpp"

namespace aether::devstack::detail {
namespace {

constexpr std::chrono::milliseconds kReadyPoll{50};

// The last lines of a server's log for an error message.
std::string log_excerpt(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return "(no log at " + file.string() + ")";
  return process::log_tail(file);
}

std::string to_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

Result<std::string> find_program(const std::vector<std::string>& candidates,
                                 const std::string& option) {
  auto found = process::find_program(candidates);
  if (found) return *found;
  return make_error(Errc::kNotFound, option + ": " + found.error().message +
                                         " (is its Debian package installed? see make deps)");
}

Result<std::string> find_program_or(const std::string& configured, const std::string& name,
                                    const std::string& option) {
  return find_program({configured.empty() ? name : configured}, option);
}

Result<process::ChildProcess> launch(const std::string& what, process::Spec spec,
                                     std::chrono::milliseconds timeout,
                                     const std::function<bool()>& ready) {
  const auto log_file = spec.log_file;
  auto child = process::ChildProcess::spawn(std::move(spec));
  if (!child) return std::unexpected(from_process_error(child.error()));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!child->running()) {
      return make_error(Errc::kStartFailed, what + " " + child->describe_exit() +
                                                " before it became ready; last lines of " +
                                                log_file.string() + ":\n" + log_excerpt(log_file));
    }
    if (ready()) return std::move(*child);
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kReadyPoll);
  }
  (void)child->stop();
  return make_error(Errc::kTimeout, what + " was not ready within " +
                                        std::to_string(timeout.count()) + " ms; last lines of " +
                                        log_file.string() + ":\n" + log_excerpt(log_file));
}

Result<void> run_to_completion(const std::string& what, process::Spec spec,
                               std::chrono::milliseconds timeout) {
  const auto log_file = spec.log_file;
  auto child = process::ChildProcess::spawn(std::move(spec));
  if (!child) return std::unexpected(from_process_error(child.error()));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (child->running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)child->stop();
      return make_error(Errc::kTimeout, what + " did not finish within " +
                                            std::to_string(timeout.count()) +
                                            " ms; last lines of " + log_file.string() + ":\n" +
                                            log_excerpt(log_file));
    }
    std::this_thread::sleep_for(kReadyPoll);
  }
  if (!child->exited_successfully()) {
    return make_error(Errc::kStartFailed, what + " " + child->describe_exit() + "; last lines of " +
                                              log_file.string() + ":\n" + log_excerpt(log_file));
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
