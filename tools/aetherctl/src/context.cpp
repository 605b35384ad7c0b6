#include "context.hpp"

#include <ostream>

namespace aether::ctl {

Context::Context(Settings settings, std::ostream& out, std::ostream& err)
    : settings_(std::move(settings)),
      format_(parse_output_format(settings_.output)),
      out_(out),
      err_(err) {}

std::chrono::milliseconds Context::timeout() const {
  return std::chrono::milliseconds(static_cast<long long>(settings_.timeout_seconds * 1000));
}

ApiClient& Context::api() {
  if (!api_) {
    api_ = std::make_unique<ApiClient>(ApiOptions{.base_url = settings_.api_url,
                                                  .api_key = settings_.api_key,
                                                  .timeout = timeout(),
                                                  .traceparent = settings_.traceparent});
  }
  return *api_;
}

Result<bus::Connection*> Context::bus() {
  if (!bus_) {
    auto connection = bus::Connection::connect({.url = settings_.nats_url,
                                                .name = "aetherctl",
                                                .max_reconnect_attempts = 0,
                                                .connect_timeout = std::chrono::seconds(3)});
    if (!connection) {
      return fail(kExitUnavailable,
                  "NATS " + settings_.nats_url + ": " + connection.error().message);
    }
    bus_ = std::move(*connection);
  }
  return &*bus_;
}

}  // namespace aether::ctl
