// The VM routes: POST/GET /v1/vms, GET/DELETE /v1/vms/{id}, POST
// /v1/vms/{id}/stop, GET /v1/vms/{id}/events. Every read and every command is
// scoped to the caller's tenant; a command goes onto the bus only after the
// VM was found in that tenant (another tenant's VM is a 404).
// Threads: the handlers run on the server's handler threads, any number at once.
#pragma once

#include "aether/rest/message.hpp"
#include "route_deps.hpp"

namespace aether::api {

class VmRoutes {
 public:
  explicit VmRoutes(RouteDeps& deps) : deps_(deps) {}

  rest::Response create(rest::Request& req, const Principal& who);
  rest::Response list(rest::Request& req, const Principal& who);
  rest::Response get(rest::Request& req, const Principal& who);
  // get() from memory only (the io thread): a cache hit, a bad id; nullopt
  // when the row must be read from PostgreSQL.
  std::optional<rest::Response> get_cached(const rest::Request& req, const Principal& who);
  rest::Response stop(rest::Request& req, const Principal& who);
  rest::Response remove(rest::Request& req, const Principal& who);
  rest::Response events(rest::Request& req, const Principal& who);

  // Finds {id} in the caller's tenant, requests aether.vm.<id>.<op> with
  // `message` (timeout 0: the bus timeout) and answers 202 with the VM in the
  // state the worker replied; no responders: UnheldVm. Also for PauseRoutes.
  rest::Response command(const rest::Request& req, const Principal& who, std::string_view op,
                         const google::protobuf::Message& message,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

 private:
  // The VM of {id} in the caller's tenant, or the answer to send instead (400/404/503).
  // cached: may come from deps_.vm_cache (only the plain GET; commands read PostgreSQL).
  std::expected<VmRecord, rest::Response> find(const rest::Request& req, const Principal& who,
                                               bool cached = false);
  rest::Response wait_ready(const rest::Request& req, const Principal& who, VmRecord vm,
                            std::chrono::milliseconds timeout);

  RouteDeps& deps_;
};

// "60s", "1500ms", "30" (seconds) -> milliseconds; nullopt when malformed.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace aether::api
