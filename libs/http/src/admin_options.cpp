#include "aether/http/admin_options.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace aether::http {

AdminOptions::AdminOptions(config::Spec& spec, int default_port)
    : addr_(spec.string("AETHER_ADMIN_ADDR", "0.0.0.0",
                        "address the admin server (/healthz, /readyz, /metrics) listens on")
                .check([](const std::string& v) -> std::optional<std::string> {
                  const bool blank = std::any_of(v.begin(), v.end(), [](char c) {
                    return std::isspace(static_cast<unsigned char>(c)) != 0;
                  });
                  if (v.empty() || blank) return "must be an IP address or host name";
                  return std::nullopt;
                })),
      port_(
          spec.integer("AETHER_ADMIN_PORT", default_port, "admin server port (0 picks a free port)")
              .range(0, 65535)) {}

AdminServerOptions AdminOptions::options() const {
  return AdminServerOptions{.host = addr_.value(), .port = static_cast<int>(port_.value())};
}

void register_process_metrics(Registry& registry, std::string_view service,
                              std::string_view version) {
  registry
      .gauge_family("aether_build_info", "Always 1; labels name the running build.",
                    {"service", "version"})
      .labels({service, version})
      .set(1);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  registry.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch.")
      .set(std::chrono::duration<double>(now).count());
}

}  // namespace aether::http
