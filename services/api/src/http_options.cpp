#include "http_options.hpp"

namespace aether::api {

using std::chrono::milliseconds;

HttpOptions::HttpOptions(config::Spec& spec)
    : addr_(spec.string("AETHER_HTTP_ADDR", "0.0.0.0", "REST listen address").non_empty()),
      port_(spec.integer("AETHER_HTTP_PORT", 8080, "REST port (0: any free port)").range(0, 65535)),
      io_threads_(
          spec.integer("AETHER_HTTP_IO_THREADS", 2, "threads doing socket I/O").range(1, 64)),
      handler_threads_(spec.integer("AETHER_HTTP_HANDLER_THREADS", 32,
                                    "threads running route handlers (they block on PostgreSQL, "
                                    "Redis, NATS; an SSE stream holds one while open)")
                           .range(1, 1024)),
      header_timeout_(spec.duration("AETHER_HTTP_HEADER_TIMEOUT", milliseconds(10'000),
                                    "time a client has to send a request's headers")
                          .range(milliseconds(100), milliseconds(600'000))),
      body_timeout_(spec.duration("AETHER_HTTP_BODY_TIMEOUT", milliseconds(30'000),
                                  "time a client has to send a request's body")
                        .range(milliseconds(100), milliseconds(600'000))),
      idle_timeout_(spec.duration("AETHER_HTTP_IDLE_TIMEOUT", milliseconds(60'000),
                                  "keep-alive: how long an idle connection stays open")
                        .range(milliseconds(100), milliseconds(3'600'000))),
      drain_timeout_(spec.duration("AETHER_HTTP_DRAIN_TIMEOUT", milliseconds(20'000),
                                   "on SIGTERM: how long in-flight requests may finish")
                         .range(milliseconds(0), milliseconds(600'000))),
      max_body_(spec.size("AETHER_HTTP_MAX_BODY", 1024 * 1024, "largest JSON request body")
                    .range(1024, 64ull * 1024 * 1024)),
      max_file_(spec.size("AETHER_HTTP_MAX_FILE", 8 * 1024 * 1024,
                          "largest file for PUT/GET /v1/vms/{id}/files")
                    .range(1024, 512ull * 1024 * 1024)) {}

rest::ServerOptions HttpOptions::server_options() const {
  return rest::ServerOptions{.host = addr_.value(),
                             .port = static_cast<int>(port_.value()),
                             .io_threads = static_cast<int>(io_threads_.value()),
                             .handler_threads = static_cast<int>(handler_threads_.value()),
                             .header_timeout = header_timeout_.value(),
                             .body_timeout = body_timeout_.value(),
                             .idle_timeout = idle_timeout_.value(),
                             .drain_timeout = drain_timeout_.value(),
                             .max_body_bytes = max_body_.value()};
}

std::size_t HttpOptions::max_file_bytes() const { return max_file_.value(); }

}  // namespace aether::api
