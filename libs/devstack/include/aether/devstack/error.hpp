// Error values returned by every devstack launcher.
#pragma once

#include <expected>
#include <string>

namespace aether::devstack {

enum class Errc {
  kInvalidArgument,  // a bad option (port out of range, missing binary path, ...)
  kNotFound,         // a server binary or recorded state is missing
  kIo,               // a file or directory operation failed
  kSpawn,            // fork/exec of a server failed
  kStartFailed,      // the server exited before it became ready
  kTimeout,          // the server did not become ready (or stop) within the bound
  kSetupFailed,      // the server runs but post-start setup (roles, databases) failed
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> make_error(Errc code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace aether::devstack
