// Error values of the node-provisioner's classes.
#pragma once

#include <expected>
#include <string>

namespace aether::provisioner {

enum class Errc {
  kInvalidConfig,    // a setting or asset source breaks a rule (message names it)
  kIo,               // a host file operation failed (disk full, read-only, missing)
  kChecksum,         // a source's bytes do not match its pinned sha256
  kFetch,            // a source could not be read or downloaded
  kKubeAuth,         // no service-account token / kubeconfig credentials
  kKubeUnreachable,  // the API server did not answer (connect, TLS, timeout)
  kKubeForbidden,    // the API server answered 401/403
  kKubeConflict,     // the API server answered 409 (resourceVersion changed)
  kKubeError,        // any other answer the API server gave
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> fail(Errc code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

}  // namespace aether::provisioner
