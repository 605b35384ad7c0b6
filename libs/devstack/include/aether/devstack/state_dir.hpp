// The directory that holds one server's data, logs and pid file.
//
// An empty path makes a fresh temporary directory (removed again by the
// destructor); a given path is created if needed and always kept. Movable, not
// copyable; owned by one thread.
#pragma once

#include <filesystem>
#include <string>

#include "aether/devstack/error.hpp"

namespace aether::devstack {

class StateDir {
 public:
  // `prefix` names the temporary directory, e.g. "aether-nats".
  [[nodiscard]] static Result<StateDir> open(const std::string& path, const std::string& prefix);

  StateDir() = default;
  ~StateDir();
  StateDir(StateDir&& other) noexcept;
  StateDir& operator=(StateDir&& other) noexcept;
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] bool temporary() const { return remove_on_destroy_; }
  // Keeps a temporary directory on destruction (for detached servers).
  void keep() { remove_on_destroy_ = false; }

 private:
  std::filesystem::path path_;
  bool remove_on_destroy_ = false;
};

}  // namespace aether::devstack
