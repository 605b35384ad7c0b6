#include "leader.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace aether::autoscaler {

using namespace std::chrono;

namespace {
std::int64_t ns_of(TimePoint t) { return duration_cast<nanoseconds>(t.time_since_epoch()).count(); }
}  // namespace

LeaderElection::LeaderElection(bus::Connection connection, LeaseConfig config, OnChange on_change)
    : connection_(std::move(connection)),
      config_(std::move(config)),
      on_change_(std::move(on_change)) {
  config_.poll = std::min(config_.poll, config_.ttl / 3);
}

LeaderElection::~LeaderElection() { stop(true); }

std::string LeaderElection::encode(const std::string& holder, milliseconds ttl) {
  return nlohmann::json{{"holder", holder}, {"ttl_ms", ttl.count()}}.dump();
}

std::string LeaderElection::holder_of(const std::string& value) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("holder") || !j["holder"].is_string()) {
    return "?";  // unreadable: somebody holds it, but who is unknown
  }
  return j["holder"].get<std::string>();
}

Result<void> LeaderElection::start() {
  auto kv = bus::KvBucket::open(connection_, std::string(bus::kLeasesBucket));
  if (!kv) return fail(Errc::kBus, "opening KV aether_leases: " + kv.error().message);
  kv_ = std::move(*kv);
  thread_ = std::jthread([this](std::stop_token s) { run(s); });
  return {};
}

void LeaderElection::stop(bool release) {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  { std::lock_guard lock(wake_mutex_); }
  wake_.notify_all();
  thread_.join();
  if (release && leader_ && kv_) {
    // Compare-and-set, so a lease someone else already took is left alone.
    auto r = kv_->update(config_.key, encode("", config_.ttl), my_revision_);
    if (!r) spdlog::warn("autoscaler: releasing lease: {}", r.error().message);
  }
  set_leader(false);
}

bool LeaderElection::is_leader() const {
  return leader_ && ns_of(Clock::now()) < valid_until_ns_.load();
}

std::string LeaderElection::current_holder() const {
  std::lock_guard lock(holder_mutex_);
  return current_holder_;
}

void LeaderElection::set_leader(bool leader) {
  if (leader_.exchange(leader) == leader) return;
  spdlog::info("autoscaler {}: {} (lease {} in aether_leases)", config_.holder,
               leader ? "leader" : "follower", config_.key);
  if (on_change_) on_change_(leader);
}

void LeaderElection::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    step();
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, stop, config_.poll, [] { return false; });
  }
}

void LeaderElection::step() {
  if (!connection_.connected()) {
    if (leader_) spdlog::warn("autoscaler {}: lost NATS, stepping down", config_.holder);
    set_leader(false);
    seen_at_ = Clock::now();  // no judgement about the lease while blind
    return;
  }
  if (leader_) {
    if (Clock::now() >= next_renew_) renew();
    if (leader_ && !is_leader()) {
      spdlog::warn("autoscaler {}: lease not renewed in time, stepping down", config_.holder);
      set_leader(false);
    }
    return;
  }
  try_acquire();
}

void LeaderElection::renew() {
  const auto started = Clock::now();
  auto r = kv_->update(config_.key, encode(config_.holder, config_.ttl), my_revision_);
  if (!r) {
    if (r.error().code == bus::Errc::kWrongLastRevision) {
      spdlog::warn("autoscaler {}: lease taken by another replica", config_.holder);
      set_leader(false);
    } else {
      spdlog::warn("autoscaler {}: renewing lease: {}", config_.holder, r.error().message);
    }
    next_renew_ = Clock::now() + config_.poll;
    return;
  }
  my_revision_ = *r;
  seen_revision_ = *r;
  valid_until_ns_ = ns_of(started + duration_cast<nanoseconds>(config_.ttl) * 8 / 10);
  next_renew_ = started + config_.ttl / 3;
}

void LeaderElection::try_acquire() {
  const auto now = Clock::now();
  const std::string mine = encode(config_.holder, config_.ttl);
  auto got = kv_->get(config_.key);
  bus::Result<std::uint64_t> won = bus::fail(bus::Errc::kInternal, "not tried");
  if (!got && got.error().code == bus::Errc::kNotFound) {
    won = kv_->create(config_.key, mine);
  } else if (!got) {
    spdlog::warn("autoscaler {}: reading lease: {}", config_.holder, got.error().message);
    return;
  } else {
    const std::string holder = holder_of(got->value);
    {
      std::lock_guard lock(holder_mutex_);
      current_holder_ = holder;
    }
    if (got->revision != seen_revision_) {
      seen_revision_ = got->revision;
      seen_at_ = now;
    }
    // Free (released), ours (this replica restarted), or silent for a ttl.
    const bool free = holder.empty() || holder == config_.holder;
    if (!free && now - seen_at_ < config_.ttl) return;
    won = kv_->update(config_.key, mine, got->revision);
  }
  if (!won) {
    if (won.error().code != bus::Errc::kWrongLastRevision) {
      spdlog::debug("autoscaler {}: taking lease: {}", config_.holder, won.error().message);
    }
    return;
  }
  my_revision_ = *won;
  seen_revision_ = *won;
  {
    std::lock_guard lock(holder_mutex_);
    current_holder_ = config_.holder;
  }
  valid_until_ns_ = ns_of(now + duration_cast<nanoseconds>(config_.ttl) * 8 / 10);
  next_renew_ = now + config_.ttl / 3;
  set_leader(true);
}

}  // namespace aether::autoscaler
