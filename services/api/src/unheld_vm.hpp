// What stop and delete do when no worker answers for a VM (the bus request
// to aether.vm.<id>.<op> got "no responders"): the api never pretends the
// operation happened, and does itself only what is safe because nothing can
// be running.
//
//   state                        worker in aether_workers   DELETE                  stop
//   PENDING (never fetched, or   -                          recorded: 202 DELETED   409 (nothing to
//   stop)
//     handed back)
//   STOPPED, FAILED              -                          recorded: 202 DELETED   409 (already)
//   SCHEDULED..STOPPING          alive (heartbeat in KV)    503 + Retry-After       503 +
//   Retry-After SCHEDULED..STOPPING          gone (key expired)         recorded: 202 DELETED   409
//   (the VM is lost)
//
// "Recorded" = a VmEvent DELETED published to AETHER_EVENTS (subject
// aether.evt.vm.<id>.deleted, Nats-Msg-Id api-delete-<id>, so concurrent
// deletes make one event), and the row set DELETED at that event's
// sequence. The event is what keeps the VM from booting later: a worker
// that fetches the VM's CreateVm from the queue reads the VM's newest event
// first and acks a create whose VM is DELETED without booting it.
// Threads: any; no state of its own.
#pragma once

#include <string_view>

#include "aether/rest/message.hpp"
#include "route_deps.hpp"

namespace aether::api {

class UnheldVm {
 public:
  explicit UnheldVm(RouteDeps& deps) : deps_(deps) {}

  // The answer to `op` ("stop" | "delete" | "pause" | "resume") on `vm`, which
  // no worker answered for. pause and resume are never done by the api: 409
  // (nothing runs, or the worker is gone) or 503 (the worker is alive).
  [[nodiscard]] rest::Response answer(std::string_view op, const VmRecord& vm,
                                      const Principal& who);

 private:
  enum class Holder { kNone, kAlive, kGone, kUnknown };
  // Is the worker named in the row still heartbeating in aether_workers?
  Holder holder(const VmRecord& vm, std::string& why);
  rest::Response record_deleted(const VmRecord& vm, const Principal& who,
                                const std::string& reason);

  RouteDeps& deps_;
};

}  // namespace aether::api
