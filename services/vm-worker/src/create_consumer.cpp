// CreateConsumer: pulling creates (one thread per create consumer, see RoomPlanner).
#include "create_consumer.hpp"

#include <spdlog/spdlog.h>

#include "aether/bus/jetstream.hpp"

namespace aether::worker {

CreateConsumer::CreateConsumer(const WorkerConfig& config, Parts parts)
    : config_(config),
      p_(parts),
      guard_(config.classes.size(), config.starvation_after, config.starvation_hold_max) {}

Result<void> CreateConsumer::start(bus::KvBucket& workers) {
  peers_ = std::make_unique<PeerBoard>(config_.worker_id, config_.classes,
                                       3 * config_.heartbeat_interval);
  if (auto p = peers_->start(workers); !p) return p;
  for (std::size_t i = 0; i <= p_.planner.size(); ++i) {
    threads_.emplace_back([this, i](std::stop_token s) { loop(s, i); });
  }
  return {};
}

struct CreateConsumer::PullState {
  std::string durable;
  bool pulled = false;       // the last room() answered 1
  bool got_message = false;  // ... and the fetch brought a create
  bool override_defer = false;
  Clock::time_point last_poll{};
  std::optional<Clock::time_point> pending_since;  // backlog seen non-empty since
};

void CreateConsumer::loop(std::stop_token stop, std::size_t index) {
  PullState state;
  state.durable = index < p_.planner.size()
                      ? bus::vm_create_class_consumer(p_.planner.classes()[index].name)
                      : std::string(bus::kVmCreateConsumer);
  while (!stop.stop_requested()) {
    auto consumer =
        bus::PullConsumer::bind(p_.connection, std::string(bus::kCmdsStream), state.durable,
                                {.service = "vm-worker", .operation = "fetch"});
    if (!consumer) {
      spdlog::warn("vm-worker: cannot bind consumer {}: {}", state.durable,
                   consumer.error().message);
    } else {
      auto r = consumer->run(
          stop, [&] { return room(index, state); },
          [&](bus::JsMessage& m) {
            state.got_message = true;
            p_.intake.handle(m, index);
          },
          std::chrono::milliseconds(500));
      if (!r) spdlog::warn("vm-worker: {} consumer stopped: {}", state.durable, r.error().message);
    }
    for (int i = 0; i < 10 && !stop.stop_requested(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

Resources CreateConsumer::free_room() const {
  Resources free = p_.ledger.free();
  const Resources pool = p_.registry.pool_reserved();
  free.vcpus += pool.vcpus;
  free.memory_mib += pool.memory_mib;
  free.vms += pool.vms;
  return free;
}

CreateConsumer::Held CreateConsumer::held() const {
  std::lock_guard lock(mutex_);
  return {guard_.holding(), guard_.resting(Clock::now())};
}

PullDecision CreateConsumer::decide(std::size_t index, const Resources& base, bool ignore_peers) {
  if (p_.flags.draining || !p_.health.may_boot()) return PullDecision::kBusy;
  if (!p_.slots.slot_free()) return PullDecision::kBusy;
  // Other consumers' outstanding pulls are not taken off: a large class's
  // pull, waiting up to 500 ms at a time, would otherwise keep every smaller
  // class from pulling on a node with room for either. Two creates fetched
  // in the same instant that do not both fit: the second is nak'ed back
  // (busy retry delay), never held.
  const Resources& free = base;
  const std::size_t cls = index < p_.planner.size() ? index : 0;
  std::vector<PeerRoom> peers;
  if (!ignore_peers && config_.fair_defer_max.count() > 0 && peers_) peers = peers_->peers();
  return p_.planner.decide(cls, free, guard_.holding(), peers);
}

int CreateConsumer::room(std::size_t index, PullState& state) {
  std::uint64_t seen = 0;
  PullDecision decision = PullDecision::kBusy;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Resources base = free_room();
    seen = p_.slots.epoch();
    {
      std::lock_guard lock(mutex_);
      // A pull that came back empty: this class has no backlog (any more).
      if (state.pulled && !state.got_message && index < p_.planner.size() && guard_.clear(index)) {
        p_.heartbeat.changed();
      }
      if (state.pulled && state.got_message && index < p_.planner.size()) {
        guard_.pulled(index, Clock::now());
      }
      state.pulled = state.got_message = false;
      decision = decide(index, base, state.override_defer);
      if (decision == PullDecision::kPull) {
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
  p_.slots.wait_for_change(seen, std::chrono::milliseconds(250));
  return 0;
}

void CreateConsumer::watch_backlog(std::size_t index, PullState& state, PullDecision decision) {
  const bool watch = decision == PullDecision::kDefer ||
                     (decision == PullDecision::kNoRoom && index < p_.planner.size());
  if (!watch) {
    state.pending_since.reset();
    return;
  }
  const auto now = Clock::now();
  if (now - state.last_poll < config_.backlog_poll) return;
  state.last_poll = now;
  auto backlog = bus::consumer_backlog(p_.connection, bus::kCmdsStream, state.durable);
  if (!backlog) return;  // the fetch path logs bus trouble
  if (backlog->pending == 0) {
    state.pending_since.reset();
    if (index < p_.planner.size()) {
      std::lock_guard lock(mutex_);
      if (guard_.clear(index)) p_.heartbeat.changed();
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
    const bool closest = p_.planner.closest_to_fit(
        index, free_room(), config_.worker_id, peers_ ? peers_->peers() : std::vector<PeerRoom>{});
    std::lock_guard lock(mutex_);
    const bool was_resting = guard_.resting(index, now);
    if (guard_.observe(index, now, backlog->pending, closest)) {
      if (guard_.holding(index)) {
        spdlog::info("vm-worker: class {} has waited {} ms for room; holding back smaller classes",
                     p_.planner.classes()[index].name,
                     std::chrono::duration_cast<std::chrono::milliseconds>(waited).count());
      } else if (guard_.resting(index, now) && !was_resting) {
        spdlog::info("vm-worker: held room for class {} for {} ms without it fitting; resting",
                     p_.planner.classes()[index].name, config_.starvation_hold_max.count());
      }
      p_.heartbeat.changed();
    }
  }
}

}  // namespace aether::worker
