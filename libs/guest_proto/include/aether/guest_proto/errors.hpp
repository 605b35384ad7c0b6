// Error values and Result of the host<->guest frame protocol.
#pragma once

#include <expected>

#include "aether/guest_proto/error.hpp"

namespace aether::guest_proto {

template <class T>
using Result = std::expected<T, Error>;

}  // namespace aether::guest_proto
