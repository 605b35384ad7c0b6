// The autoscaler's error values (Result<T> at its module boundaries).
#pragma once

#include <expected>
#include <string>

namespace aether::autoscaler {

enum class Errc {
  kInvalidConfig,  // a setting breaks a rule (message names the variable)
  kBus,            // NATS / JetStream call failed
  kActuator,       // the actuator could not read or set the worker count
  kNotLeader,      // this replica does not hold the lease
};

struct Error {
  Errc code = Errc::kActuator;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> fail(Errc code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

}  // namespace aether::autoscaler
