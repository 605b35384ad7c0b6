// Context: what a service's start() gets from run(): the loaded environment, the
// metrics registry, the admin server's readiness checks, NATS, and a way to stop.
//
// Lifecycle: made by Service::run() after logging, tracing and the admin server are
// up, passed to start(), alive until run() returns. Connections made with
// connect_nats() and parts handed to keep() are released after the service's own
// parts (Running) are destroyed, so parts may use them until then.
// Threads: start() uses it on run()'s thread; request_stop() and stop_requested() are
// safe from any thread, add_readiness_check() too.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aether/bus/connection.hpp"
#include "aether/config/config.hpp"
#include "aether/http/admin_server.hpp"
#include "aether/http/metrics.hpp"
#include "aether/service/service.hpp"

namespace aether::service {

class Context {
 public:
  Context(const Info& info, const config::EnvLookup& env, http::Registry& registry,
          http::AdminServer* admin, const config::StringField* nats_url, StopSignal& stop);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  [[nodiscard]] const Info& info() const { return info_; }
  // The environment the configuration was loaded from: pass it to libraries that read
  // variables themselves, so a test's injected environment reaches them too.
  [[nodiscard]] const config::EnvLookup& env() const { return env_; }
  [[nodiscard]] http::Registry& registry() { return registry_; }
  // The admin server's bound port; 0 when the service has none (Info::admin_port kNoAdmin).
  [[nodiscard]] int admin_port() const;

  // Adds (or replaces) a /readyz check; ignored without an admin server. Checks must be
  // quick and thread-safe (see AdminServer), and may outlive Running::stop: they run
  // until the admin server stops, so capture parts by shared_ptr.
  void add_readiness_check(std::string name, http::ReadinessCheck check);
  // Adds (or replaces) an entry of /readyz's "info" (e.g. "role": "leader"); it does
  // not decide readiness. Same rules as a check.
  void add_readiness_info(std::string name, http::ReadinessInfo info);

  // Connects to NATS at NATS_URL (Service::nats_url() must have been called), named
  // after the service, and adds the "nats" readiness check. When no server answers
  // yet it waits, retrying every reconnect_wait (a warning in the log now and then),
  // until one does or the service is told to stop (then the error's exit code is the
  // stop's: 0 after SIGTERM). Once connected, cnats reconnects by itself. The
  // connection is released after the service's parts.
  [[nodiscard]] Result<bus::Connection> connect_nats();
  // Same with explicit options (url, name, timeouts); an empty name is the service's.
  // retry_on_failed_connect = false: one attempt, an unreachable server is exit 1.
  [[nodiscard]] Result<bus::Connection> connect_nats(bus::ConnectOptions options);

  // Keeps `part` alive until the service's parts are gone (helpers such as SchemaWatch).
  void keep(std::shared_ptr<void> part);

  // Asks run() to shut down in order and to return `exit_code` (the first request
  // wins; a signal that arrives first makes it 0). From any thread, at any time, also
  // from inside start(): then run() goes straight to shutdown (one-shot modes).
  void request_stop(int exit_code = kExitOk);
  [[nodiscard]] bool stop_requested() const;

 private:
  friend class Service;
  void detach_admin();   // before the admin server is destroyed
  void release_parts();  // after the service's parts are

  const Info& info_;
  const config::EnvLookup& env_;
  http::Registry& registry_;
  const config::StringField* nats_url_;
  StopSignal& stop_;
  mutable std::mutex mutex_;  // guards admin_ and parts_
  http::AdminServer* admin_;
  std::vector<std::shared_ptr<void>> parts_;
};

}  // namespace aether::service
