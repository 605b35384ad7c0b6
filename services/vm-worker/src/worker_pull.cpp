// Worker: pulling creates (one thread per create consumer, see RoomPlanner).
#include <spdlog/spdlog.h>

#include "aether/bus/jetstream.hpp"
#include "worker.hpp"

namespace aether::worker {

struct Worker::PullState {
  std::string durable;
  bool pulled = false;       // the last room() answered 1
  bool got_message = false;  // ... and the fetch brought a create
  bool override_defer = false;
  Clock::time_point last_poll{};
  std::optional<Clock::time_point> pending_since;  // backlog seen non-empty since
};

void Worker::consume_loop(std::stop_token stop, std::size_t index) {
  PullState state;
  state.durable = index < planner_.size()
                      ? bus::vm_create_class_consumer(planner_.classes()[index].name)
                      : std::string(bus::kVmCreateConsumer);
  while (!stop.stop_requested()) {
    auto consumer =
        bus::PullConsumer::bind(connection_, std::string(bus::kCmdsStream), state.durable,
                                {.service = "vm-worker", .operation = "fetch"});
    if (!consumer) {
      spdlog::warn("vm-worker: cannot bind consumer {}: {}", state.durable,
                   consumer.error().message);
    } else {
      auto r = consumer->run(
          stop, [&] { return room(index, state); },
          [&](bus::JsMessage& m) {
            state.got_message = true;
            handle_create(m, index);
          },
          std::chrono::milliseconds(500));
      if (!r) spdlog::warn("vm-worker: {} consumer stopped: {}", state.durable, r.error().message);
    }
    {
      std::lock_guard lock(boots_mutex_);
      pulling_[index] = {};
    }
    for (int i = 0; i < 10 && !stop.stop_requested(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  std::lock_guard lock(boots_mutex_);
  pulling_[index] = {};
}

Resources Worker::base_free() const {
  Resources free = ledger_.free();
  std::lock_guard lock(vms_mutex_);
  for (const auto& p : pool_) {
    free.vcpus += p->reserved().vcpus;
    free.memory_mib += p->reserved().memory_mib;
    free.vms += 1;
  }
  return free;
}

bool Worker::accepting() const {
  if (!started_ || draining_ || health_.fault()) return false;
  std::lock_guard lock(boots_mutex_);
  return boots_in_flight_ < static_cast<int>(config_.max_concurrent_boots);
}

PullDecision Worker::decide_locked(std::size_t index, const Resources& base, bool ignore_peers) {
  if (draining_ || !health_.may_boot()) return PullDecision::kBusy;
  if (boots_in_flight_ >= static_cast<int>(config_.max_concurrent_boots)) {
    return PullDecision::kBusy;
  }
  // Other consumers' outstanding pulls are not taken off: a large class's
  // pull, waiting up to 500 ms at a time, would otherwise keep every smaller
  // class from pulling on a node with room for either. Two creates fetched
  // in the same instant that do not both fit: the second is nak'ed back
  // (busy retry delay), never held.
  const Resources& free = base;
  const std::size_t cls = index < planner_.size() ? index : 0;
  std::vector<PeerRoom> peers;
  if (!ignore_peers && config_.fair_defer_max.count() > 0 && peers_) peers = peers_->peers();
  return planner_.decide(cls, free, guard_.holding(), peers);
}

int Worker::room(std::size_t index, PullState& state) {
  const std::size_t cls = index < planner_.size() ? index : 0;
  std::uint64_t seen = 0;
  PullDecision decision = PullDecision::kBusy;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Resources base = base_free();
    {
      std::lock_guard lock(boots_mutex_);
      pulling_[index] = {};
      // A pull that came back empty: this class has no backlog (any more).
      if (state.pulled && !state.got_message && index < planner_.size() && guard_.clear(index)) {
        status_changed();
      }
      if (state.pulled && state.got_message && index < planner_.size()) {
        guard_.pulled(index, Clock::now());
      }
      state.pulled = state.got_message = false;
      seen = room_epoch_;
      decision = decide_locked(index, base, state.override_defer);
      if (decision == PullDecision::kPull) {
        // Held until the next call (the fetch and its handler run meanwhile),
        // so the other consumers' threads do not count this room twice.
        pulling_[index] = planner_.unit(cls);
        state.pulled = true;
        state.override_defer = false;
        state.pending_since.reset();
        return 1;
      }
    }
    watch_backlog(index, state, decision);
    if (!state.override_defer) break;  // else: decide again, ignoring the peers
  }
  // No room: wait (bounded) for a boot to end or a VM to go, so a create
  // waiting in the queue is fetched the moment room frees, not a poll later.
  std::unique_lock lock(boots_mutex_);
  boots_changed_.wait_for(lock, std::chrono::milliseconds(250),
                          [&] { return room_epoch_ != seen; });
  return 0;
}

void Worker::watch_backlog(std::size_t index, PullState& state, PullDecision decision) {
  const bool watch = decision == PullDecision::kDefer ||
                     (decision == PullDecision::kNoRoom && index < planner_.size());
  if (!watch) {
    state.pending_since.reset();
    return;
  }
  const auto now = Clock::now();
  if (now - state.last_poll < config_.backlog_poll) return;
  state.last_poll = now;
  auto backlog = bus::consumer_backlog(connection_, bus::kCmdsStream, state.durable);
  if (!backlog) return;  // the fetch path logs bus trouble
  if (backlog->pending == 0) {
    state.pending_since.reset();
    if (index < planner_.size()) {
      std::lock_guard lock(boots_mutex_);
      if (guard_.clear(index)) status_changed();
    }
    return;
  }
  if (!state.pending_since) state.pending_since = now;
  const auto waited = now - *state.pending_since;
  if (decision == PullDecision::kDefer && waited >= config_.fair_defer_max) {
    // The roomier peer has not taken it: take it here rather than let it wait.
    state.override_defer = true;
  }
  if (decision == PullDecision::kNoRoom && index > 0) {  // the smallest holds nothing back
    // One worker holds room for it: the closest to fitting it (see StarvationGuard).
    const bool closest = planner_.closest_to_fit(
        index, base_free(), config_.worker_id, peers_ ? peers_->peers() : std::vector<PeerRoom>{});
    std::lock_guard lock(boots_mutex_);
    const bool was_resting = guard_.resting(index, now);
    if (guard_.observe(index, now, backlog->pending, closest)) {
      if (guard_.holding(index)) {
        spdlog::info("vm-worker: class {} has waited {} ms for room; holding back smaller classes",
                     planner_.classes()[index].name,
                     std::chrono::duration_cast<std::chrono::milliseconds>(waited).count());
      } else if (guard_.resting(index, now) && !was_resting) {
        spdlog::info("vm-worker: held room for class {} for {} ms without it fitting; resting",
                     planner_.classes()[index].name, config_.starvation_hold_max.count());
      }
      status_changed();
    }
  }
}

void Worker::room_changed() {
  {
    std::lock_guard lock(boots_mutex_);
    ++room_epoch_;
  }
  boots_changed_.notify_all();
  status_changed();
}

void Worker::boot_finished() {
  {
    std::lock_guard lock(boots_mutex_);
    --boots_in_flight_;
    ++room_epoch_;
  }
  boots_changed_.notify_all();
  status_changed();
}

void Worker::forward(bus::JsMessage& message, const v1::CreateVm& create, std::size_t cls) {
  const std::string subject = bus::vm_create_class_subject(planner_.classes()[cls].name);
  bus::JsPublishOptions options;
  options.tenant = message.tenant();
  // Stable across redeliveries of this message: a retry is dropped as a duplicate.
  options.msg_id = "aether-fwd-" + std::to_string(message.stream_sequence());
  auto ack = connection_.js_publish(subject, create, options);
  if (!ack) {
    spdlog::warn("vm-worker: cannot forward create {} to {}: {}; redelivery later", create.vm_id(),
                 subject, ack.error().message);
    if (auto r = message.nak(config_.busy_retry_delay); !r) {
      spdlog::warn("vm-worker: nak failed: {}", r.error().message);
    }
    return;
  }
  spdlog::info("vm-worker: create {} ({} vCPU, {} MiB) does not fit here; forwarded to {}",
               create.vm_id(), create.spec().vcpus(), create.spec().memory_mib(), subject);
  metrics_.creates.labels({"forwarded"}).inc();
  if (auto r = message.ack(); !r) spdlog::warn("vm-worker: ack failed: {}", r.error().message);
}

}  // namespace aether::worker
