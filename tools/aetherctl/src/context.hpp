// What every aetherctl command shares: the settings from flags, environment
// and config file, and the two ways to reach the platform (the REST api, the
// bus), each opened on first use. One per process, used by the main thread.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "aether/bus/connection.hpp"
#include "api_client.hpp"
#include "ctl_error.hpp"
#include "output.hpp"

namespace aether::ctl {

struct Settings {
  std::string api_url = "http://127.0.0.1:8080";   // AETHER_API_URL
  std::string api_key;                             // AETHER_API_KEY
  std::string nats_url = "nats://127.0.0.1:4222";  // NATS_URL
  std::string tenant;                              // AETHER_TENANT: Aether-Tenant on --bus
  std::string output = "table";                    // --output
  bool bus = false;                                // --bus: NATS instead of REST
  double timeout_seconds = 30;                     // --timeout of one call
  std::string traceparent;                         // --traceparent: join this trace (REST)
};

class Context {
 public:
  Context(Settings settings, std::ostream& out, std::ostream& err);

  [[nodiscard]] const Settings& settings() const { return settings_; }
  [[nodiscard]] OutputFormat format() const { return format_; }
  [[nodiscard]] std::ostream& out() { return out_; }
  [[nodiscard]] std::ostream& err() { return err_; }
  [[nodiscard]] std::chrono::milliseconds timeout() const;

  [[nodiscard]] ApiClient& api();
  // Connects on first use; kExitUnavailable naming the URL when it cannot.
  [[nodiscard]] Result<bus::Connection*> bus();

 private:
  Settings settings_;
  OutputFormat format_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<ApiClient> api_;
  std::optional<bus::Connection> bus_;
};

}  // namespace aether::ctl
