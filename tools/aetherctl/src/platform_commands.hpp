// `aetherctl events|workers|nodes|autoscaler status|tenant create`: what an
// operator (or a tenant, for events) reads about the platform as a whole.
#pragma once

#include <string>

#include "context.hpp"

namespace aether::ctl {

struct EventsOptions {
  bool follow = false;  // keep the stream open, reconnect after a drop
  std::string since;    // Last-Event-ID to start after
  int max_events = 0;   // stop after this many (0: no limit)
};

[[nodiscard]] Result<int> events(Context& ctx, const EventsOptions& options);
[[nodiscard]] Result<int> workers(Context& ctx);
// GET /v1/templates; with --bus the same list built from KV aether_workers.
[[nodiscard]] Result<int> templates(Context& ctx);
[[nodiscard]] Result<int> nodes(Context& ctx);
[[nodiscard]] Result<int> autoscaler_status(Context& ctx);
// Prints the new key alone on stdout (it is shown only once).
[[nodiscard]] Result<int> tenant_create(Context& ctx, const std::string& id, bool operator_scope,
                                        const std::string& display_name);

}  // namespace aether::ctl
