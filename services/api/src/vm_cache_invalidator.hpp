// VmCacheInvalidator: keeps a VmReadCache coherent with events projected by
// any projector (another pod's, or this process' own): a core NATS
// subscription on aether.evt.vm.> (no JetStream consumer, nothing acked,
// nothing stored) calls invalidate_pending(<id>) for every VmEvent's
// subject aether.evt.vm.<id>.<state>. The row may not be committed yet when
// the event arrives, hence the cache's hold; a missed event (reconnect) is
// bounded by the cache's TTL. Messages are never answered.
// Threads: start() and the destructor on one thread; the callback on
// cnats' delivery thread.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "aether/bus/connection.hpp"
#include "core_subscription.hpp"
#include "vm_read_cache.hpp"

namespace aether::api {

// "aether.evt.vm.<id>.<state>" -> "<id>"; empty when the subject is not one.
[[nodiscard]] std::string vm_id_of_event_subject(std::string_view subject);

class VmCacheInvalidator {
 public:
  // Subscribes; the cache must outlive this object.
  [[nodiscard]] static std::expected<std::unique_ptr<VmCacheInvalidator>, std::string> start(
      bus::Connection& bus, VmReadCache& cache);
  // Destroyed: unsubscribed, no callback running (CoreSubscription drains).

 private:
  VmCacheInvalidator() = default;
  std::unique_ptr<CoreSubscription> sub_;
};

}  // namespace aether::api
