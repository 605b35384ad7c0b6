// The REST edge's settings, declared on the service's Spec like AdminOptions:
// AETHER_HTTP_ADDR, AETHER_HTTP_PORT (8080), AETHER_HTTP_IO_THREADS,
// AETHER_HTTP_HANDLER_THREADS, AETHER_HTTP_HEADER_TIMEOUT,
// AETHER_HTTP_BODY_TIMEOUT, AETHER_HTTP_IDLE_TIMEOUT, AETHER_HTTP_MAX_BODY,
// AETHER_HTTP_MAX_FILE, AETHER_HTTP_DRAIN_TIMEOUT.
// Lifecycle: declare at start-up, read after load().
#pragma once

#include "aether/config/config.hpp"
#include "aether/rest/server.hpp"

namespace aether::api {

class HttpOptions {
 public:
  explicit HttpOptions(config::Spec& spec);
  [[nodiscard]] rest::ServerOptions server_options() const;
  [[nodiscard]] std::size_t max_file_bytes() const;

 private:
  const config::StringField& addr_;
  const config::IntField& port_;
  const config::IntField& io_threads_;
  const config::IntField& handler_threads_;
  const config::DurationField& header_timeout_;
  const config::DurationField& body_timeout_;
  const config::DurationField& idle_timeout_;
  const config::DurationField& drain_timeout_;
  const config::SizeField& max_body_;
  const config::SizeField& max_file_;
};

// The OpenAPI document, embedded at build time from services/api/openapi.json.
[[nodiscard]] const std::string& openapi_document();

}  // namespace aether::api
