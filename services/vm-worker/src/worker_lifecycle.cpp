// Worker: construction, start/stop, lifecycle transitions, reaper, heartbeat.
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "aether/bus/jetstream.hpp"
#include "vm_state.hpp"
#include "worker.hpp"

namespace aether::worker {

using google::protobuf::util::TimeUtil;

std::pair<std::string, bool> runtime_facts(std::string_view name) {
  if (name.starts_with("qemu")) return {"qemu", name == "qemu-kvm"};
  return {std::string(name), true};
}

Worker::Worker(WorkerConfig config, bus::Connection connection,
               std::shared_ptr<vmm::Runtime> runtime, http::Registry& registry)
    : config_(std::move(config)),
      connection_(std::move(connection)),
      runtime_(std::move(runtime)),
      metrics_(registry),
      ledger_(config_.capacity),
      planner_(config_.classes, config_.limits.max_vcpus, config_.limits.max_memory_mib),
      health_(config_.runtime_retry_after, config_.runtime_retry_max),
      guard_(config_.classes.size(), config_.starvation_after, config_.starvation_hold_max) {}

Worker::~Worker() {
  if (started_ && !stopped_) kill();
}

Result<void> Worker::start() {
  if (config_.provision) {
    bus::ProvisionConfig provision_config;
    provision_config.vm_classes = config_.classes;
    if (auto p = bus::provision(connection_, provision_config); !p) {
      return fail(Errc::kBus, "provisioning the bus: " + p.error().message);
    }
  }
  auto kv = bus::KvBucket::open(connection_, std::string(bus::kWorkersBucket));
  if (!kv) return fail(Errc::kBus, "opening KV aether_workers: " + kv.error().message);
  workers_kv_ = std::move(*kv);
  events_ = std::make_unique<EventPublisher>(connection_);
  std::error_code ec;
  std::filesystem::create_directories(config_.state_dir / "vms", ec);
  if (ec)
    return fail(Errc::kIo, "AETHER_STATE_DIR: cannot create " +
                               (config_.state_dir / "vms").string() + ": " + ec.message());

  recover();
  if (config_.network_enabled) {
    auto network = net::HostNetwork::setup(config_.network);
    if (!network) return fail(Errc::kNetwork, "per-VM networking: " + network.error().message);
    network_ = std::move(*network);
    // The hypervisors a previous run left are dead now (recover): their TAPs go.
    if (auto stale = network_->cleanup_stale(); !stale) {
      return fail(Errc::kNetwork, "per-VM networking: " + stale.error().message);
    }
  }
  if (auto s = start_worker_service(); !s) return s;
  started_ = true;
  publish_worker_event(v1::WORKER_STATE_STARTED, "");
  update_metrics();
  heartbeat_thread_ = std::jthread([this](std::stop_token s) { heartbeat_loop(s); });
  reaper_thread_ = std::jthread([this](std::stop_token s) { reap_loop(s); });
  pool_thread_ = std::jthread([this](std::stop_token s) { pool_loop(s); });
  peers_ = std::make_unique<PeerBoard>(config_.worker_id, config_.classes,
                                       3 * config_.heartbeat_interval);
  if (auto p = peers_->start(*workers_kv_); !p) return p;
  {
    std::lock_guard lock(boots_mutex_);
    pulling_.assign(planner_.size() + 1, Resources{});
  }
  for (std::size_t i = 0; i <= planner_.size(); ++i) {
    consumer_threads_.emplace_back([this, i](std::stop_token s) { consume_loop(s, i); });
  }
  spdlog::info(
      "vm-worker {} started: capacity {}; per VM at most {} vCPU, {} MiB; classes {}; runtime {}, "
      "warm pool {}",
      config_.worker_id, describe(config_.capacity_source, config_.capacity),
      config_.limits.max_vcpus, config_.limits.max_memory_mib,
      bus::format_vm_classes(config_.classes), runtime_->name(), config_.warm_pool.size);
  return {};
}

bool Worker::ready() const {
  return started_ && !stopped_ && !draining_ && connection_.connected();
}

void Worker::stop_threads() {
  consumer_threads_.clear();
  pool_thread_ = {};
  std::vector<BootThread> boots;
  {
    std::lock_guard lock(boots_mutex_);
    boots = std::move(boot_threads_);
  }
  boots.clear();  // joins: boots run to their end (bounded by the boot timeout)
  drain_thread_ = {};
  reaper_thread_ = {};
  heartbeat_thread_ = {};
}

void Worker::shutdown() {
  if (!started_ || stopped_.exchange(true)) return;
  spdlog::info("vm-worker {}: shutting down (drain, stop_vms={})", config_.worker_id,
               config_.drain_stop_vms);
  draining_ = true;
  metrics_.draining.set(1);
  publish_worker_event(v1::WORKER_STATE_DRAINING, "shutdown");
  consumer_threads_.clear();  // no more fetches; a create being accepted finishes first
  pool_thread_ = {};
  const auto deadline = Clock::now() + config_.drain_timeout;
  {
    std::unique_lock lock(boots_mutex_);
    boots_changed_.wait_until(lock, deadline, [&] { return boots_in_flight_ == 0; });
  }
  if (!config_.drain_stop_vms) wait_for_vms_to_end(deadline, std::stop_token{});
  drain_thread_ = {};
  for (const auto& vm : all_vms()) stop_vm(vm, "worker " + config_.worker_id + " shut down");
  empty_pool();
  stop_threads();
  if (network_) {
    if (auto t = network_->teardown(); !t) {
      spdlog::warn("vm-worker: tearing down the VM network: {}", t.error().message);
    }
  }
  publish_worker_event(v1::WORKER_STATE_STOPPED, "shutdown");
  if (!events_->flush(std::chrono::seconds(10))) {
    spdlog::warn("vm-worker: some events were not published before shutdown");
  }
  if (workers_kv_) (void)workers_kv_->erase(config_.worker_id);
  {
    std::lock_guard lock(vms_mutex_);
    for (auto& [id, vm] : vms_) {
      std::lock_guard l(vm->mutex_);
      vm->subscriptions.clear();
    }
    graveyard_.clear();
  }
  service_.reset();
  spdlog::info("vm-worker {}: stopped", config_.worker_id);
}

void Worker::kill() {
  killed_ = true;
  if (stopped_.exchange(true)) return;
  draining_ = true;
  consumer_threads_.clear();
  pool_thread_ = {};
  reaper_thread_ = {};
  heartbeat_thread_ = {};
  service_.reset();
  for (const auto& vm : all_vms()) {
    std::lock_guard l(vm->mutex_);
    vm->subscriptions.clear();
    if (vm->vm) vm->vm->kill();
  }
  {
    std::lock_guard lock(vms_mutex_);
    for (auto& p : pool_) {
      std::lock_guard l(p->mutex_);
      if (p->vm) p->vm->kill();
    }
    graveyard_.clear();
  }
  stop_threads();
}

bool Worker::transition(HostedVm& vm, v1::VmState to, const std::string& reason) {
  std::unique_lock lock(vm.mutex_);
  return transition_locked(vm, lock, to, reason);
}

bool Worker::transition_locked(HostedVm& vm, std::unique_lock<std::mutex>&, v1::VmState to,
                               const std::string& reason) {
  const auto from = vm.state;
  if (!transition_allowed(from, to)) {
    spdlog::warn("vm-worker: VM {}: {} -> {} refused", vm.create.vm_id(), state_token(from),
                 state_token(to));
    return false;
  }
  vm.state = to;
  if (to == v1::VM_STATE_STOPPED || to == v1::VM_STATE_FAILED) vm.finished_at = Clock::now();
  v1::VmEvent event;
  event.set_vm_id(vm.create.vm_id());
  event.set_tenant(vm.create.tenant());
  event.set_state(to);
  event.set_previous_state(from);
  event.set_reason(reason);
  event.set_worker_id(config_.worker_id);
  event.set_node(config_.node);
  *event.mutable_at() = TimeUtil::GetCurrentTime();
  if (vm.trace_parent) {
    event.set_traceparent(trace::format_traceparent(*vm.trace_parent));
    event.set_tracestate(vm.trace_parent->tracestate);
  }
  *event.mutable_spec() = vm.create.spec();
  if (vm.network) event.set_guest_address(vm.network->guest_address);
  auto [runtime, accelerated] = runtime_facts(runtime_->name());
  event.set_runtime(runtime);
  event.set_accelerated(accelerated);
  if (to == v1::VM_STATE_FAILED) {
    spdlog::warn("vm-worker: VM {} FAILED: {}", vm.create.vm_id(), reason);
  } else {
    spdlog::info("vm-worker: VM {} {} -> {}{}", vm.create.vm_id(), state_token(from),
                 state_token(to), reason.empty() ? "" : " (" + reason + ")");
  }
  events_->publish(std::move(event));
  return true;
}

void Worker::release_network(HostedVm& vm) {
  if (!vm.network || !network_) return;
  if (auto d = network_->detach(vm.network->vm_id); !d) {
    spdlog::warn("vm-worker: VM {}: {}", vm.network->vm_id, d.error().message);
  }
  vm.network.reset();
}

void Worker::release_resources(HostedVm& vm) {
  release_network(vm);
  if (vm.resources_released) return;
  vm.resources_released = true;
  ledger_.release(vm.reserved());
  room_changed();
}

void Worker::stop_vm(const std::shared_ptr<HostedVm>& hosted, const std::string& reason,
                     std::optional<std::chrono::milliseconds> grace) {
  std::shared_ptr<vmm::Vm> vm;
  {
    std::unique_lock lock(hosted->mutex_);
    if (hosted->state != v1::VM_STATE_READY) return;
    transition_locked(*hosted, lock, v1::VM_STATE_STOPPING, reason);
    vm = hosted->vm;
  }
  std::string outcome;
  if (vm) {
    const auto bound = grace.value_or(config_.limits.default_stop_grace);
    const auto ms = bound.count();
    const std::string span =
        ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
    outcome = "; the guest powered off";
    if (auto s = vm->shutdown(bound); !s) {
      outcome =
          s.error().code == vmm::Errc::kTimeout
              ? "; the guest did not power off within the grace period of " + span + ": killed"
              : "; graceful shutdown failed (" + s.error().message + "): killed";
      spdlog::warn("vm-worker: VM {}{}", hosted->id(), outcome);
      vm->kill();
    }
  }
  std::unique_lock lock(hosted->mutex_);
  hosted->vm.reset();
  release_resources(*hosted);
  transition_locked(*hosted, lock, v1::VM_STATE_STOPPED, reason + outcome);
}

void Worker::fail_vm(const std::shared_ptr<HostedVm>& hosted, const std::string& reason) {
  std::shared_ptr<vmm::Vm> vm;
  {
    std::unique_lock lock(hosted->mutex_);
    if (!transition_locked(*hosted, lock, v1::VM_STATE_FAILED, reason)) return;
    vm = std::move(hosted->vm);
    release_resources(*hosted);
  }
  if (vm) vm->kill();
}

void Worker::delete_vm(const std::shared_ptr<HostedVm>& hosted, const std::string& reason) {
  std::shared_ptr<vmm::Vm> vm;
  {
    std::unique_lock lock(hosted->mutex_);
    if (hosted->state == v1::VM_STATE_DELETED) return;
    if (hosted->state == v1::VM_STATE_READY || hosted->state == v1::VM_STATE_PAUSED) {
      transition_locked(*hosted, lock, v1::VM_STATE_STOPPING, reason);
    }
    vm = std::move(hosted->vm);
  }
  if (vm) vm->kill();  // a deleted VM's disk state is gone anyway: no graceful shutdown
  std::vector<bus::Subscription> subs;
  {
    std::unique_lock lock(hosted->mutex_);
    release_resources(*hosted);
    if (hosted->state == v1::VM_STATE_STOPPING) {
      transition_locked(*hosted, lock, v1::VM_STATE_STOPPED, reason);
    }
    if (hosted->state == v1::VM_STATE_SCHEDULED || hosted->state == v1::VM_STATE_BOOTING) {
      transition_locked(*hosted, lock, v1::VM_STATE_FAILED, reason);
    }
    transition_locked(*hosted, lock, v1::VM_STATE_DELETED, reason);
    subs = std::move(hosted->subscriptions);
  }
  std::error_code ec;
  std::filesystem::remove_all(hosted->dir(), ec);
  std::lock_guard lock(vms_mutex_);
  vms_.erase(hosted->create.vm_id());
  // Unsubscribing here could be from inside one of these subscriptions'
  // handlers (a delete request): the reaper drops them later.
  for (auto& s : subs) graveyard_.push_back(std::move(s));
}

std::shared_ptr<HostedVm> Worker::find(const std::string& vm_id) const {
  std::lock_guard lock(vms_mutex_);
  auto it = vms_.find(vm_id);
  return it == vms_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<HostedVm>> Worker::all_vms() const {
  std::lock_guard lock(vms_mutex_);
  std::vector<std::shared_ptr<HostedVm>> out;
  for (const auto& [id, vm] : vms_) out.push_back(vm);
  return out;
}

std::size_t Worker::warm_pool_size() const {
  std::lock_guard lock(vms_mutex_);
  return pool_.size();
}

std::size_t Worker::vm_count() const {
  std::lock_guard lock(vms_mutex_);
  return vms_.size();
}

void Worker::reap_loop(std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(m);
      cv.wait_for(lock, stop, config_.reap_interval, [] { return false; });
    }
    if (stop.stop_requested()) break;
    {
      std::lock_guard lock(vms_mutex_);
      graveyard_.clear();
    }
    const auto now = Clock::now();
    for (const auto& hosted : all_vms()) {
      if (reap_paused(hosted, now)) continue;  // worker_pause.cpp
      std::string stop_reason;
      std::string fail_reason;
      bool remove = false;
      std::shared_ptr<vmm::Vm> vm;
      {
        std::lock_guard lock(hosted->mutex_);
        const auto& spec = hosted->create.spec();
        if (hosted->state == v1::VM_STATE_READY) {
          vm = hosted->vm;
          if (spec.ttl_seconds() > 0 &&
              now - hosted->ready_steady >= std::chrono::seconds(spec.ttl_seconds())) {
            stop_reason = "ttl of " + std::to_string(spec.ttl_seconds()) + " s expired";
          } else if (spec.idle_timeout_seconds() > 0 && hosted->active_ops == 0 &&
                     now - hosted->last_activity >=
                         std::chrono::seconds(spec.idle_timeout_seconds())) {
            stop_reason = "idle for " + std::to_string(spec.idle_timeout_seconds()) + " s";
          }
        } else if ((hosted->state == v1::VM_STATE_STOPPED ||
                    hosted->state == v1::VM_STATE_FAILED) &&
                   now - hosted->finished_at >= config_.stopped_retention) {
          remove = true;
        }
      }
      if (vm && stop_reason.empty()) {
        if (auto st = vm->status(); st.state != vmm::VmState::kRunning) {
          fail_reason = "hypervisor gone: " + st.detail;
        }
      }
      if (!fail_reason.empty()) {
        fail_vm(hosted, fail_reason);
      } else if (!stop_reason.empty()) {
        stop_vm(hosted, stop_reason);
      } else if (remove) {
        delete_vm(hosted, "retention of stopped VMs expired");
      }
    }
    update_metrics();
  }
}

void Worker::update_metrics() {
  std::map<v1::VmState, int> counts;
  for (auto s : {v1::VM_STATE_SCHEDULED, v1::VM_STATE_BOOTING, v1::VM_STATE_READY,
                 v1::VM_STATE_STOPPING, v1::VM_STATE_STOPPED, v1::VM_STATE_FAILED}) {
    counts[s] = 0;
  }
  for (const auto& vm : all_vms()) {
    std::lock_guard lock(vm->mutex_);
    counts[vm->state]++;
  }
  for (const auto& [state, n] : counts) {
    metrics_.vms.labels({std::string(state_token(state))}).set(n);
  }
  const auto used = ledger_.used();
  metrics_.used.labels({"vcpus"}).set(used.vcpus);
  metrics_.used.labels({"memory_mib"}).set(static_cast<double>(used.memory_mib));
  metrics_.used.labels({"vms"}).set(used.vms);
  metrics_.capacity.labels({"vcpus"}).set(config_.capacity.vcpus);
  metrics_.capacity.labels({"memory_mib"}).set(static_cast<double>(config_.capacity.memory_mib));
  metrics_.capacity.labels({"vms"}).set(config_.capacity.vms);
  metrics_.warm_pool.set(static_cast<double>(warm_pool_size()));
}

v1::WorkerStatus Worker::status() const {
  v1::WorkerStatus s;
  s.set_worker_id(config_.worker_id);
  s.set_node(config_.node);
  auto fill = [](v1::Capacity* c, const Resources& r) {
    c->set_vcpus(r.vcpus);
    c->set_memory_mib(r.memory_mib);
    c->set_max_vms(r.vms);
  };
  fill(s.mutable_capacity(), config_.capacity);
  fill(s.mutable_used(), ledger_.used());
  s.set_vms(static_cast<std::uint32_t>(vm_count()));
  s.set_warm_pool(static_cast<std::uint32_t>(warm_pool_size()));
  s.set_draining(draining_);
  auto [runtime, accelerated] = runtime_facts(runtime_->name());
  s.set_runtime(runtime);
  s.set_accelerated(accelerated);
  *s.mutable_heartbeat_at() = TimeUtil::GetCurrentTime();
  s.set_version(config_.version);
  if (auto fault = health_.fault()) s.set_runtime_fault(*fault);
  const Resources free = base_free();
  fill(s.mutable_free(), free);
  fill(s.mutable_vm_limit(), {config_.limits.max_vcpus, config_.limits.max_memory_mib, 1});
  if (free.vms > 0) {
    fill(s.mutable_largest_fit(), {std::min(free.vcpus, config_.limits.max_vcpus),
                                   std::min(free.memory_mib, config_.limits.max_memory_mib), 1});
  } else {
    fill(s.mutable_largest_fit(), {});
  }
  std::vector<bool> starving, resting;
  {
    std::lock_guard lock(boots_mutex_);
    starving = guard_.holding();
    resting = guard_.resting(Clock::now());
  }
  for (std::size_t c = 0; c < planner_.size(); ++c) {
    auto* room = s.add_classes();
    room->set_name(planner_.classes()[c].name);
    room->set_consumer(bus::vm_create_class_consumer(planner_.classes()[c].name));
    room->set_vcpus(planner_.unit(c).vcpus);
    room->set_memory_mib(planner_.unit(c).memory_mib);
    room->set_fits(planner_.pullable(c, free, starving));
    room->set_starving(starving[c]);
    room->set_resting(resting[c]);
  }
  for (const auto& [name, t] : config_.templates) {
    auto* info = s.add_templates();
    info->set_name(name);
    info->set_image_source(t.image_source);
    info->set_image_id(t.image_id);
    info->set_image_digest(t.image_digest);
  }
  s.set_accepting(accepting());
  return s;
}

void Worker::heartbeat_loop(std::stop_token stop) {
  // Every heartbeat interval, and soon after the free room changed (so peers
  // see it for fairness), at most one put per 20 ms.
  while (!stop.stop_requested()) {
    const auto value = status().SerializeAsString();
    if (auto put = workers_kv_->put(config_.worker_id, value); !put) {
      spdlog::warn("vm-worker: heartbeat to KV aether_workers failed: {}", put.error().message);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::unique_lock lock(status_mutex_);
    status_cv_.wait_for(lock, stop, config_.heartbeat_interval, [&] { return status_dirty_; });
    status_dirty_ = false;
  }
}

void Worker::status_changed() {
  {
    std::lock_guard lock(status_mutex_);
    status_dirty_ = true;
  }
  status_cv_.notify_all();
}

void Worker::publish_worker_event(v1::WorkerState state, const std::string& reason) {
  v1::WorkerEvent e;
  e.set_worker_id(config_.worker_id);
  e.set_node(config_.node);
  e.set_state(state);
  e.set_reason(reason);
  *e.mutable_at() = TimeUtil::GetCurrentTime();
  events_->publish(std::move(e));
}

v1::DrainReply Worker::drain(const v1::DrainWorker& request) {
  if (!draining_.exchange(true)) {
    metrics_.draining.set(1);
    publish_worker_event(v1::WORKER_STATE_DRAINING, "drain requested");
    spdlog::info("vm-worker {}: draining (stop_vms={})", config_.worker_id, request.stop_vms());
  }
  if (request.stop_vms() || request.deadline_seconds() > 0) {
    const bool now = request.stop_vms();
    const auto deadline = Clock::now() + std::chrono::seconds(request.deadline_seconds());
    drain_thread_ = std::jthread([this, now, deadline](std::stop_token stop) {
      // Without stop_vms: let the VMs finish until the deadline, then stop the rest.
      if (!now) wait_for_vms_to_end(deadline, stop);
      if (stop.stop_requested()) return;
      empty_pool();
      for (const auto& vm : all_vms()) stop_vm(vm, "worker " + config_.worker_id + " drained");
    });
  }
  v1::DrainReply reply;
  reply.set_worker_id(config_.worker_id);
  reply.set_vms_remaining(static_cast<std::uint32_t>(vms_holding_resources()));
  return reply;
}

std::size_t Worker::vms_holding_resources() const {
  std::size_t n = 0;
  for (const auto& vm : all_vms()) {
    std::lock_guard lock(vm->mutex_);
    if (holds_resources(vm->state)) ++n;
  }
  return n;
}

void Worker::wait_for_vms_to_end(Clock::time_point deadline, std::stop_token stop) const {
  while (!stop.stop_requested() && Clock::now() < deadline && vms_holding_resources() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace aether::worker
