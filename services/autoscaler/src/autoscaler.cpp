#include "autoscaler.hpp"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "aether/bus/codec.hpp"
#include "aether/bus/jetstream.hpp"
#include "aether/v1/vm.pb.h"

namespace aether::autoscaler {

using namespace std::chrono;

namespace {

std::string random_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}{:016x}", rng(), rng());
}

}  // namespace

Autoscaler::Autoscaler(AutoscalerConfig config, bus::Connection connection,
                       std::unique_ptr<Actuator> actuator, http::Registry& registry)
    : config_(std::move(config)),
      connection_(std::move(connection)),
      actuator_(std::move(actuator)),
      metrics_(registry),
      fleet_(config_.consumers),
      sizes_(config_.default_vm) {
  config_.lease.holder = config_.id;
}

Autoscaler::~Autoscaler() { stop(true); }

int Autoscaler::observed_workers() const { return static_cast<int>(fleet_.snapshot().size()); }

bool Autoscaler::is_leader() const { return lease_ && lease_->is_leader(); }

Result<void> Autoscaler::start() {
  if (config_.provision) {
    if (auto p = bus::provision(connection_, *config_.provision); !p) {
      return fail(Errc::kBus, "provisioning the bus: " + p.error().message);
    }
  }
  auto kv = bus::KvBucket::open(connection_, std::string(bus::kWorkersBucket));
  if (!kv) return fail(Errc::kBus, "opening KV aether_workers: " + kv.error().message);
  // The workers there now, before any decision (a first decision on an
  // empty view would take the fleet for 0 workers); the callback watch
  // below delivers them again (idempotent), then every change.
  auto initial = kv->watch(">");
  if (!initial) return fail(Errc::kBus, "watching KV aether_workers: " + initial.error().message);
  for (int i = 0; i < 100'000; ++i) {
    auto e = initial->next(seconds(5));
    if (!e || !e->has_value()) break;
    (void)fleet_.apply((*e)->key, (*e)->value, (*e)->op != bus::KvOp::kPut);  // counted below
  }
  initial->stop();
  auto watch = kv->watch(">", [this](const bus::KvEntry& e) {
    const auto change = fleet_.apply(e.key, e.value, e.op != bus::KvOp::kPut);
    if (change == FleetChange::kUndecodable) metrics_.undecodable.inc();
    if (change != FleetChange::kNone) wake();
  });
  if (!watch) return fail(Errc::kBus, "watching KV aether_workers: " + watch.error().message);
  workers_watch_ = std::move(*watch);

  for (const auto& subject : config_.create_subjects) {
    auto l = BusListener::subscribe(
        connection_, subject,
        [this](std::string_view, std::string_view payload, const std::optional<std::string>& ct) {
          auto type = bus::parse_content_type(ct);
          v1::CreateVm create;
          if (type && bus::decode(payload, *type, create)) {
            sizes_.record(create.spec().vcpus(), create.spec().memory_mib());
          }
          // Seen as it is published; JetStream may store it a moment later,
          // so look again shortly.
          wake(true);
        });
    if (!l) return std::unexpected(l.error());
    listeners_.push_back(std::move(*l));
  }
  // A VM that ends frees room; one that is scheduled leaves the queue.
  auto vm_events = BusListener::subscribe(
      connection_, "aether.evt.vm.>",
      [this](std::string_view, std::string_view, const std::optional<std::string>&) { wake(); });
  if (!vm_events) return std::unexpected(vm_events.error());
  listeners_.push_back(std::move(*vm_events));

  lease_ = std::make_unique<LeaderElection>(connection_, config_.lease,
                                            [this](bool leader) { on_role(leader); });
  if (auto s = lease_->start(); !s) return s;
  thread_ = std::jthread([this](std::stop_token s) { loop(s); });
  return {};
}

void Autoscaler::stop(bool release_lease) {
  if (lease_) lease_->stop(release_lease);
  if (thread_.joinable()) {
    thread_.request_stop();
    wake_cv_.notify_all();
    thread_.join();
  }
  listeners_.clear();
  workers_watch_.reset();
  metrics_.leader.set(0);
}

void Autoscaler::on_role(bool leader) {
  metrics_.leader.set(leader ? 1 : 0);
  wake();
}

void Autoscaler::wake(bool soon_again) {
  {
    std::lock_guard lock(wake_mutex_);
    wake_ = true;
    if (soon_again) again_at_ = Clock::now() + milliseconds(50);
  }
  wake_cv_.notify_all();
}

void Autoscaler::loop(std::stop_token stop) {
  auto next_tick = Clock::now();
  while (!stop.stop_requested()) {
    bool tick = false;
    {
      std::unique_lock lock(wake_mutex_);
      auto until = next_tick;
      if (again_at_ && *again_at_ < until) until = *again_at_;
      wake_cv_.wait_until(lock, stop, until, [this] { return wake_; });
      if (stop.stop_requested()) return;
      wake_ = false;
      const auto now = Clock::now();
      if (again_at_ && *again_at_ <= now) again_at_.reset();
      if (now >= next_tick) {
        tick = true;
        next_tick = now + config_.eval_interval;
      }
    }
    evaluate(tick);
  }
}

std::optional<Demand> Autoscaler::read_demand() {
  Demand d;
  for (const auto& consumer : config_.consumers) {
    auto b = bus::consumer_backlog(connection_, config_.stream, consumer);
    if (!b) {
      spdlog::warn("autoscaler: backlog of {}/{}: {}", config_.stream, consumer, b.error().message);
      return std::nullopt;
    }
    metrics_.backlog.labels({consumer}).set(static_cast<double>(b->pending + b->ack_pending));
    d.pending += b->pending;
    d.ack_pending += b->ack_pending;
  }
  metrics_.pending.set(static_cast<double>(d.pending));
  d.queued = sizes_.queued(d.pending);
  return d;
}

void Autoscaler::evaluate(bool timer_tick) {
  const bool leader = is_leader();
  if (!leader) {
    if (was_leader_) {
      // A new term starts from scratch: no removal or window carried over.
      policy_.reset();
      removal_.reset();
      current_.reset();
      last_published_.clear();
    }
    was_leader_ = false;
    return;
  }
  if (!was_leader_) {
    policy_ = std::make_unique<ScalingPolicy>(config_.policy);
    was_leader_ = true;
  }
  const auto now = Clock::now();
  if (now < retry_at_) return;  // backing off after an actuator error
  if (!current_ || (timer_tick && now - current_read_at_ >= config_.refresh_interval)) {
    auto c = actuator_->current();
    if (!c) {
      metrics_.actuator_errors.inc();
      backoff_ =
          backoff_.count() == 0 ? config_.retry_initial : std::min(backoff_ * 2, config_.retry_max);
      retry_at_ = now + backoff_;
      spdlog::warn("autoscaler: reading the worker count: {}; retry in {} ms", c.error().message,
                   backoff_.count());
      return;
    }
    current_ = *c;
    current_read_at_ = now;
  }
  auto demand = read_demand();
  if (!demand) return;
  metrics_.evaluations.inc();
  const auto workers = fleet_.snapshot();
  int usable = 0;
  int faulty = 0;
  for (const auto& w : workers) {
    usable += w.usable() ? 1 : 0;
    faulty += w.faulty() ? 1 : 0;
  }
  metrics_.usable.set(usable);
  metrics_.faulty.set(faulty);
  metrics_.actual.set(*current_);

  if (removal_) continue_removal(workers);
  PolicyInput in{.now = now, .current = *current_, .workers = workers, .demand = *demand};
  if (removal_) {
    for (const auto& w : removal_->workers) in.removing.insert(w.id);
  }
  for (const auto& w : workers) {
    if (!actuator_->managed(w.id)) in.unmanaged.insert(w.id);
  }
  Decision d = policy_->decide(in);
  metrics_.desired.set(d.target);
  act(d, workers);
}

void Autoscaler::act(const Decision& d, const std::vector<WorkerView>&) {
  switch (d.action) {
    case v1::SCALE_ACTION_SCALE_UP: {
      if (actuate({.from = d.from, .to = d.to, .remove = {}}, d)) publish(d);
      return;
    }
    case v1::SCALE_ACTION_SCALE_DOWN:
      if (!removal_) start_removal(d);
      return;
    default: {
      const std::string key = fmt::format("{}:{}:hold", d.from, d.target);
      if (key != last_published_) publish(d);
      return;
    }
  }
}

bool Autoscaler::actuate(const ScaleRequest& request, const Decision& d) {
  auto r = actuator_->scale(request);
  if (!r) {
    metrics_.actuator_errors.inc();
    backoff_ =
        backoff_.count() == 0 ? config_.retry_initial : std::min(backoff_ * 2, config_.retry_max);
    retry_at_ = Clock::now() + backoff_;
    current_.reset();  // unknown now: read it again before the next decision
    spdlog::warn("autoscaler: {} actuator: {}; retry in {} ms", actuator_->kind(),
                 r.error().message, backoff_.count());
    publish(d, fmt::format("; {} actuator failed: {}; retry in {} ms", actuator_->kind(),
                           r.error().message, backoff_.count()));
    return false;
  }
  backoff_ = milliseconds(0);
  current_ = request.to;
  metrics_.actual.set(request.to);
  metrics_.decisions.labels({action_token(d.action)}).inc();
  return true;
}

void Autoscaler::start_removal(const Decision& d) {
  Removal r{.workers = d.remove,
            .drained = std::vector<bool>(d.remove.size(), false),
            .started = Clock::now()};
  v1::DrainWorker drain;
  drain.set_stop_vms(false);  // they are idle: nothing to stop, and none is stopped
  drain.set_deadline_seconds(
      static_cast<std::uint32_t>(duration_cast<seconds>(config_.drain_timeout).count()));
  for (std::size_t i = 0; i < r.workers.size(); ++i) {
    const auto& w = r.workers[i];
    auto reply = connection_.request<v1::DrainReply>("aether.worker." + w.id + ".drain", drain,
                                                     {.timeout = seconds(5)});
    if (reply) {
      r.drained[i] = reply->vms_remaining() == 0;
    } else if (reply.error().code == bus::Errc::kNoResponders) {
      r.drained[i] = true;  // gone already
    } else {
      spdlog::warn("autoscaler: drain of {}: {} (waiting for its heartbeat)", w.id,
                   reply.error().message);
    }
  }
  publish(d);
  metrics_.decisions.labels({action_token(d.action)}).inc();
  removal_ = std::move(r);
  continue_removal(fleet_.snapshot());
}

void Autoscaler::continue_removal(const std::vector<WorkerView>& workers) {
  Removal& r = *removal_;
  for (std::size_t i = 0; i < r.workers.size(); ++i) {
    if (r.drained[i]) continue;
    auto it = std::find_if(workers.begin(), workers.end(),
                           [&](const WorkerView& w) { return w.id == r.workers[i].id; });
    // Empty once its heartbeat says so after the drain (or its key is gone).
    r.drained[i] = it == workers.end() || (it->draining && it->vms == 0);
  }
  const bool all = std::all_of(r.drained.begin(), r.drained.end(), [](bool b) { return b; });
  if (!all) {
    if (Clock::now() - r.started > config_.drain_timeout + seconds(30)) {
      spdlog::warn("autoscaler: drain did not finish within {} s; giving the removal up",
                   duration_cast<seconds>(config_.drain_timeout).count());
      removal_.reset();
    }
    return;
  }
  const int to = *current_ - static_cast<int>(r.workers.size());
  Decision done;
  done.action = v1::SCALE_ACTION_SCALE_DOWN;
  done.from = *current_;
  done.to = std::max(0, to);
  done.target = done.to;
  done.remove = r.workers;
  std::string names;
  for (const auto& w : r.workers) names += (names.empty() ? "" : ", ") + w.id;
  done.reason = "drained " + names + " now empty: removing";
  if (actuate({.from = done.from, .to = done.to, .remove = r.workers}, done)) {
    std::string ids;
    for (const auto& w : r.workers) ids += (ids.empty() ? "" : ", ") + w.id;
    spdlog::info("autoscaler: removed drained {} ({} -> {})", ids, done.from, done.to);
    publish(done);
    removal_.reset();
  }
}

void Autoscaler::publish(const Decision& d, const std::string& note) {
  v1::ScaleDecision e;
  e.set_decision_id(random_id());
  e.set_action(d.action);
  e.set_from_nodes(d.from);
  e.set_to_nodes(d.to);
  e.set_reason(d.reason + note);
  e.set_queue_backlog(d.backlog);
  e.set_capacity_used_ratio(d.used_ratio);
  for (const auto& w : d.remove) e.add_nodes(w.node.empty() ? w.id : w.node);
  *e.mutable_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  e.set_leader(config_.id);
  last_published_ =
      fmt::format("{}:{}:{}", d.from, d.target, d.action == v1::SCALE_ACTION_HOLD ? "hold" : "act");
  const std::string subject = "aether.evt.scale." + action_token(d.action);
  auto r = connection_.js_publish(subject, e, {.msg_id = e.decision_id(), .timeout = seconds(2)});
  if (!r) spdlog::warn("autoscaler: publishing {}: {}", subject, r.error().message);
  spdlog::info("autoscaler: {} {} -> {}: {}", action_token(d.action), d.from, d.to, e.reason());
}

}  // namespace aether::autoscaler
