// AdminServer: the small HTTP server every service runs on its admin port.
//
//   GET /healthz  200 "ok" while the process serves requests at all.
//   GET /readyz   runs every readiness check; 200 {"status":"ready",...} when all pass,
//                 503 {"status":"not ready","failed":[{"check":"nats","message":"..."}],...};
//                 "info" holds the add_readiness_info() entries (e.g. "role": "leader").
//   GET /metrics  the Registry in Prometheus text format 0.0.4.
//
//   aether::http::AdminServer admin({.host = "0.0.0.0", .port = 9090});
//   admin.add_readiness_check("nats", [&]() -> aether::http::CheckResult {
//     if (!bus.connected()) return std::unexpected("not connected to " + url);
//     return {};
//   });
//   auto port = admin.start();   // Result<int>: the bound port (port 0 picks a free one)
//   ...
//   admin.stop();                // or let the destructor do it
//
// Lifecycle: construct, add checks (also later, from any thread), start() once, stop()
// once or more; a stopped server is not restarted. Threads: requests are served by a
// small pool owned by the server. Readiness checks run on those threads, one /readyz at
// a time per request, so they must be quick and thread-safe: read a state the service
// keeps current (connection flag, last schema version) rather than doing slow I/O.
// start()/stop() may be called from any thread, but not from inside a check.
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "aether/http/metrics.hpp"

namespace aether::http {

enum class Errc { kBindFailed = 1, kAlreadyStarted, kStartTimeout };
struct Error {
  Errc code;
  std::string message;
};
template <class T>
using Result = std::expected<T, Error>;

// A readiness check: {} when ready, std::unexpected("why not") when not.
using CheckResult = std::expected<void, std::string>;
using ReadinessCheck = std::function<CheckResult()>;
// A fact /readyz shows beside the checks ("info": {"role": "leader"}); it does
// not decide readiness. Quick and thread-safe, like a check.
using ReadinessInfo = std::function<std::string()>;

struct AdminServerOptions {
  std::string host = "0.0.0.0";  // Kubernetes probes and Prometheus reach the pod IP
  int port = 0;                  // 0: pick a free port; see port()
};

class AdminServer {
 public:
  explicit AdminServer(AdminServerOptions options, Registry& registry = default_registry());
  ~AdminServer();  // stops
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Adds (or replaces, by name) a check; /readyz reports checks in name order.
  void add_readiness_check(std::string name, ReadinessCheck check);
  // Adds (or replaces, by name) an info entry of the /readyz body.
  void add_readiness_info(std::string name, ReadinessInfo info);

  // Binds and starts serving; returns the bound port once connections are accepted.
  [[nodiscard]] Result<int> start();
  // Stops accepting, finishes in-flight requests and joins the threads. Idempotent.
  void stop();
  // The bound port, 0 before start().
  [[nodiscard]] int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aether::http
