// Lifecycle events out, and what the event stream already knows about a VM.
//
// EventPublisher sends each VmEvent / WorkerEvent as a JetStream publish on
// aether.evt.vm.<id>.<state> / aether.evt.worker.<id>.<state>, in order, from
// its own thread, retrying while NATS is away (each event keeps one
// Nats-Msg-Id across retries, so a retry is never a second event). flush()
// waits until everything queued so far is stored.
//
// latest_event() reads, for one VM, its newest event from stream
// AETHER_EVENTS: how a worker recognises a create it (or another worker)
// already handled.
//
// Threads: publish()/flush() from any thread; the queue is drained by the
// publisher's own thread. latest_event() is a blocking call, any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "aether/bus/connection.hpp"
#include "aether/v1/vm.pb.h"
#include "aether/v1/worker.pb.h"

namespace aether::worker {

class EventPublisher {
 public:
  explicit EventPublisher(bus::Connection connection);
  ~EventPublisher();  // flushes for up to 5 s, then stops
  EventPublisher(const EventPublisher&) = delete;
  EventPublisher& operator=(const EventPublisher&) = delete;

  void publish(v1::VmEvent event);
  void publish(v1::WorkerEvent event);
  // True when everything queued before the call was stored in time.
  bool flush(std::chrono::milliseconds timeout);
  [[nodiscard]] std::uint64_t published() const;

 private:
  struct Item {
    std::string subject;
    std::variant<v1::VmEvent, v1::WorkerEvent> event;
    std::string msg_id;
    std::string tenant;
    std::uint64_t number = 0;
  };
  void loop(std::stop_token stop);
  void enqueue(Item item);

  bus::Connection connection_;
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<Item> queue_;      // guarded by mutex_
  std::uint64_t enqueued_ = 0;  // guarded by mutex_
  std::uint64_t done_ = 0;      // guarded by mutex_
  std::jthread thread_;
};

struct LastEvent {
  v1::VmEvent event;
  std::uint64_t sequence = 0;
};

// The newest event stored for `vm_id` (any state), nullopt when none. One
// JetStream read of aether.evt.vm.<id>.*; only when that event does not
// decode, one read per state subject for the newest readable one.
[[nodiscard]] bus::Result<std::optional<LastEvent>> latest_event(bus::Connection& connection,
                                                                 const std::string& vm_id);

[[nodiscard]] std::string vm_event_subject(const std::string& vm_id, v1::VmState state);

}  // namespace aether::worker
