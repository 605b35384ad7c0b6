// Turning cnats statuses into bus errors (private).
#pragma once

#include <nats/nats.h>

#include <string_view>

#include "aether/bus/errors.hpp"

namespace aether::bus::detail {

// Maps a failed cnats status to an Error whose message starts with `what`
// and includes cnats' last error text for this thread.
[[nodiscard]] Error status_error(natsStatus status, std::string_view what,
                                 jsErrCode js_code = static_cast<jsErrCode>(0));

[[nodiscard]] inline std::unexpected<Error> fail_status(
    natsStatus status, std::string_view what, jsErrCode js_code = static_cast<jsErrCode>(0)) {
  return std::unexpected(status_error(status, what, js_code));
}

}  // namespace aether::bus::detail
