#include "aether/devstack/state_dir.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace aether::devstack {

Result<StateDir> StateDir::open(const std::string& path, const std::string& prefix) {
  StateDir dir;
  if (path.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      return make_error(Errc::kIo, "cannot create a temporary directory " + pattern + ": " +
                                       std::strerror(errno));
    }
    dir.path_ = buf.data();
    dir.remove_on_destroy_ = true;
    return dir;
  }
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return make_error(Errc::kIo, "state_dir: cannot create " + path + ": " + ec.message());
  }
  dir.path_ = std::filesystem::absolute(path, ec);
  if (ec) dir.path_ = path;
  return dir;
}

StateDir::~StateDir() {
  if (remove_on_destroy_ && !path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
}

StateDir::StateDir(StateDir&& other) noexcept
    : path_(std::move(other.path_)),
      remove_on_destroy_(std::exchange(other.remove_on_destroy_, false)) {}

StateDir& StateDir::operator=(StateDir&& other) noexcept {
  if (this != &other) {
    if (remove_on_destroy_ && !path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
    path_ = std::move(other.path_);
    remove_on_destroy_ = std::exchange(other.remove_on_destroy_, false);
  }
  return *this;
}

}  // namespace aether::devstack
