// Server: the public HTTP/1.1 edge on Boost.Beast/Asio.
//
// io threads run every socket asynchronously (accept, read with deadlines,
// write); handlers run on a separate pool of handler threads, because the
// api's handlers block on PostgreSQL, Redis and NATS calls and must not stall
// other connections' I/O. A route may also answer on the io thread when it
// can without blocking (RouteOptions::fast, router.hpp); counted in
// <prefix>_io_answers_total{method,route}. Per request the server:
//   - bounds the header read (header_timeout: slowloris) and the body read
//     (body_timeout), the header size (431) and the body size (413, per route);
//   - takes X-Request-Id when it is 1..128 of [A-Za-z0-9._:-], else makes one;
//   - continues a valid traceparent (a malformed one is ignored: a new trace)
//     in a server span "<service> <METHOD> <route>" active on the handler
//     thread, and returns traceparent and X-Request-Id on the answer;
//   - adds the security headers to every answer;
//   - counts <prefix>_requests_total{method,route,code} and observes
//     <prefix>_request_duration_seconds{method,route} in the Registry;
//   - answers 404/405 (with Allow) as problem+json, and a handler that throws
//     with a 500 problem (logged), never a dropped connection.
// Keep-alive is honoured, idle connections close after idle_timeout.
//
// Lifecycle: construct with a filled Router, start() once (returns the bound
// port), stop() once or more: stops accepting, lets in-flight requests (and
// streams, which see stopping()) finish up to drain_timeout, then joins.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <string>

#include "aether/http/metrics.hpp"
#include "aether/rest/router.hpp"

namespace aether::rest {

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 0;  // 0: a free port, see Server::port()
  int io_threads = 2;
  int handler_threads = 16;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive between requests
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds drain_timeout{20'000};
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;  // per-route RouteOptions may differ
  std::string service_name = "api";          // span names "<service> <METHOD> <route>"
  std::string metric_prefix = "aether_api_http";
};

enum class Errc { kBindFailed = 1, kAlreadyStarted };
struct Error {
  Errc code;
  std::string message;
};
template <class T>
using Result = std::expected<T, Error>;

class Server {
 public:
  Server(ServerOptions options, Router router, http::Registry& registry = http::default_registry());
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] Result<int> start();
  void stop();
  [[nodiscard]] int port() const;
  // Requests being handled right now (for the drain and for tests).
  [[nodiscard]] int in_flight() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The headers every answer carries (nosniff, no-store, frame and CSP denial,
// no referrer).
void add_security_headers(HeaderList& headers);

}  // namespace aether::rest
