// Worker: the create path (vm-create consumer, dedup, validation, boot).
#include <spdlog/spdlog.h>

#include <fstream>

#include "aether/bus/jetstream.hpp"
#include "spec_rules.hpp"
#include "vm_state.hpp"
#include "worker.hpp"

namespace aether::worker {

namespace {

// Settles a message and logs when that fails (the ack wait then redelivers).
void settle(bus::Result<void> result, const std::string& what) {
  if (!result) spdlog::warn("vm-worker: {} failed: {}", what, result.error().message);
}

bool write_file(const std::filesystem::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}

}  // namespace

bool Worker::worker_alive(const std::string& worker_id) {
  auto entry = workers_kv_->get(worker_id);
  return entry.has_value();
}

void Worker::handle_create(bus::JsMessage& message, std::size_t index) {
  const auto fetched = Clock::now();
  if (draining_) {
    // Fetched just before a drain began: hand it back for another worker.
    settle(message.nak(), "nak while draining");
    return;
  }
  auto create = message.decode_as<v1::CreateVm>();
  if (!create) {
    spdlog::error("vm-worker: malformed CreateVm (stream seq {}) terminated: {}",
                  message.stream_sequence(), create.error().message);
    metrics_.creates.labels({"malformed"}).inc();
    settle(message.term(), "term of a malformed create");
    return;
  }
  if (auto why = malformed_reason(*create)) {
    spdlog::error("vm-worker: malformed CreateVm (stream seq {}) terminated: {}",
                  message.stream_sequence(), *why);
    metrics_.creates.labels({"malformed"}).inc();
    settle(message.term(), "term of a malformed create");
    return;
  }
  const std::string vm_id = create->vm_id();
  if (create->tenant().empty()) create->set_tenant(message.tenant());

  // Handled already, here? (a redelivery after a slow in-progress)
  if (find(vm_id)) {
    spdlog::info("vm-worker: create for VM {} redelivered; this worker already holds it", vm_id);
    metrics_.creates.labels({"duplicate"}).inc();
    settle(message.ack(), "ack of a duplicate create");
    return;
  }
  // Handled already, elsewhere? The event stream knows.
  auto last = latest_event(connection_, vm_id);
  if (!last) {
    spdlog::warn("vm-worker: cannot read the history of VM {} ({}); retrying later", vm_id,
                 last.error().message);
    settle(message.nak(config_.busy_retry_delay), "nak");
    return;
  }
  if (*last) {
    const auto& ev = (*last)->event;
    const bool in_flight =
        ev.state() == v1::VM_STATE_SCHEDULED || ev.state() == v1::VM_STATE_BOOTING;
    const bool hosted_elsewhere =
        ev.state() == v1::VM_STATE_READY || ev.state() == v1::VM_STATE_STOPPING;
    // PENDING after the first event: a worker that could not boot it handed
    // it back; whoever fetches it now boots it.
    const bool handed_back = ev.state() == v1::VM_STATE_PENDING;
    if (hosted_elsewhere && ev.worker_id() != config_.worker_id && !worker_alive(ev.worker_id())) {
      // Its worker died after READY but before the ack: the VM went with it.
      HostedVm lost(vm_id, {}, {});
      std::unique_lock lock(lost.mutex_);
      lost.create = *create;
      lost.state = ev.state();
      lost.resources_released = true;
      transition_locked(lost, lock, v1::VM_STATE_FAILED,
                        "worker " + ev.worker_id() + " that hosted it is gone");
      lock.unlock();
      (void)events_->flush(std::chrono::seconds(5));
      metrics_.creates.labels({"duplicate"}).inc();
      settle(message.ack(), "ack of a handled create");
      return;
    }
    if (!in_flight && !handed_back) {
      spdlog::info("vm-worker: create for VM {} already handled (last event {} by {}); acked",
                   vm_id, state_token(ev.state()), ev.worker_id());
      metrics_.creates.labels({"duplicate"}).inc();
      settle(message.ack(), "ack of a handled create");
      return;
    }
    if (in_flight && ev.worker_id() != config_.worker_id && worker_alive(ev.worker_id())) {
      // Its worker is alive and may still be booting it: ask again later.
      spdlog::info("vm-worker: VM {} is {} on live worker {}; create deferred", vm_id,
                   state_token(ev.state()), ev.worker_id());
      settle(message.nak(config_.busy_retry_delay), "nak");
      return;
    }
    if (in_flight) {
      spdlog::warn("vm-worker: VM {} was {} on worker {} which is gone; booting it here", vm_id,
                   state_token(ev.state()), ev.worker_id());
    }
  }

  auto hosted = std::make_shared<HostedVm>(vm_id, config_.state_dir / "vms" / vm_id,
                                           resources_of(create->spec()));
  hosted->create = *create;
  hosted->trace_parent = trace::current_context();  // the consumer span

  if (auto why = impossible_reason(create->spec(), config_.limits, config_.capacity,
                                   config_.templates, config_.network_enabled)) {
    metrics_.creates.labels({"invalid"}).inc();
    {
      std::unique_lock lock(hosted->mutex_);
      hosted->resources_released = true;  // nothing was reserved
      transition_locked(*hosted, lock, v1::VM_STATE_FAILED, *why);
    }
    (void)events_->flush(std::chrono::seconds(5));
    settle(message.ack(), "ack of an impossible create");
    return;
  }

  // Served from the warm pool?
  if (auto pooled = take_pool_vm(create->spec())) {
    {
      std::unique_lock lock(pooled->mutex_);
      pooled->create = *create;
      pooled->trace_parent = hosted->trace_parent;
      pooled->state = v1::VM_STATE_UNSPECIFIED;
      transition_locked(*pooled, lock, v1::VM_STATE_SCHEDULED, "");
      (void)write_file(pooled->dir() / "create.pb", create->SerializeAsString());
    }
    {
      std::lock_guard lock(vms_mutex_);
      vms_[vm_id] = pooled;
    }
    if (auto s = subscribe_ops(pooled); !s) {
      fail_vm(pooled, "cannot serve its subjects: " + s.error().message);
    } else {
      std::unique_lock lock(pooled->mutex_);
      pooled->ready_at = WallClock::now();
      pooled->ready_steady = Clock::now();
      pooled->last_activity = Clock::now();
      transition_locked(*pooled, lock, v1::VM_STATE_READY, "served from the warm pool");
    }
    metrics_.creates.labels({"warm_pool"}).inc();
    metrics_.create_to_ready_seconds.observe(
        std::chrono::duration<double>(Clock::now() - fetched).count());
    (void)events_->flush(std::chrono::seconds(5));
    settle(message.ack(), "ack");
    return;
  }

  if (!reserve_with_eviction(hosted->reserved())) {
    // Fetched from the plain subject, or from a class it does not belong to
    // (a publisher with another class table): its own class's consumer gets it.
    const std::size_t cls = planner_.class_of(create->spec().vcpus(), create->spec().memory_mib());
    if (index != cls) {
      forward(message, *create, cls);
      return;
    }
    spdlog::info("vm-worker: no room for VM {} ({}) now; redelivery in {} ms", vm_id,
                 describe(hosted->reserved()), config_.busy_retry_delay.count());
    settle(message.nak(config_.busy_retry_delay), "nak");
    return;
  }
  {
    std::unique_lock lock(hosted->mutex_);
    transition_locked(*hosted, lock, v1::VM_STATE_SCHEDULED, "");
  }
  std::error_code ec;
  std::filesystem::create_directories(hosted->dir(), ec);
  if (ec || !write_file(hosted->dir() / "create.pb", create->SerializeAsString())) {
    fail_vm(hosted, "cannot write the VM's state dir " + hosted->dir().string());
    settle(message.ack(), "ack");
    return;
  }
  {
    std::lock_guard lock(vms_mutex_);
    vms_[vm_id] = hosted;
  }
  status_changed();
  auto shared_message = std::make_shared<bus::JsMessage>(std::move(message));
  health_.boot_started();  // before room() is asked again: one trial at a time
  std::lock_guard lock(boots_mutex_);
  std::erase_if(boot_threads_, [](const BootThread& b) { return b.done->load(); });
  ++boots_in_flight_;
  auto done = std::make_shared<std::atomic<bool>>(false);
  boot_threads_.push_back(
      {done, std::jthread([this, shared_message, hosted, parent = hosted->trace_parent, fetched,
                           done](std::stop_token) {
         boot_vm(shared_message, hosted, parent, fetched);
         done->store(true);
       })});
}

vmm::VmConfig Worker::vm_config(const std::string& id, const std::filesystem::path& dir,
                                const v1::VmSpec& spec) const {
  const auto& t = config_.templates.at(spec.template_());
  vmm::VmConfig c;
  c.id = id;
  c.state_dir = dir;
  c.kernel = t.kernel;
  c.initrd = t.initrd;
  c.rootfs = t.rootfs;  // a container-image template: the VM's overlay goes on this base
  c.vcpus = spec.vcpus();
  c.memory_mib = spec.memory_mib();
  c.boot_timeout = config_.boot_timeout;
  c.default_exec_timeout = config_.limits.default_exec_timeout;
  c.max_collected_output = config_.limits.max_file_bytes;
  return c;
}

void Worker::boot_vm(std::shared_ptr<bus::JsMessage> message, std::shared_ptr<HostedVm> hosted,
                     std::optional<trace::SpanContext> parent, Clock::time_point fetched) {
  trace::Span span("vm-worker boot", trace::SpanKind::kInternal, parent);
  auto scope = span.activate();
  span.set_attribute("vm.id", hosted->id());
  // Keep the command ours while the guest boots.
  std::jthread keeper([this, message](std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    while (!stop.stop_requested()) {
      std::unique_lock lock(m);
      if (cv.wait_for(lock, stop, config_.in_progress_interval, [] { return false; })) break;
      if (stop.stop_requested()) break;
      settle(message->in_progress(), "in-progress");
    }
  });
  v1::VmSpec spec;
  {
    std::unique_lock lock(hosted->mutex_);
    spec = hosted->create.spec();
    transition_locked(*hosted, lock, v1::VM_STATE_BOOTING, "");
  }
  // The network comes first: the TAP must exist when the VMM opens it. Under
  // the VM's lock, so a delete meanwhile (which detaches) cannot interleave.
  std::optional<net::Attachment> attachment;
  std::string network_error;
  if (spec.network()) {
    std::lock_guard lock(hosted->mutex_);
    if (!network_) {
      network_error = "per-VM networking is not set up on this worker";
    } else if (hosted->state == v1::VM_STATE_BOOTING) {
      const std::vector<std::string> egress(spec.egress_allow().begin(), spec.egress_allow().end());
      auto a = network_->attach(hosted->create.vm_id(), egress);
      if (a) {
        hosted->network = *a;
        attachment = std::move(*a);
      } else {
        network_error = a.error().message;
      }
    }
  }
  bool restored = false;
  auto booted = [&]() -> vmm::Result<std::unique_ptr<vmm::Vm>> {
    if (!network_error.empty()) {
      return std::unexpected(vmm::Error{vmm::Errc::kInvalidConfig, "network: " + network_error});
    }
    trace::Span launch("vm-worker agent-ready");
    auto config = vm_config(hosted->id(), hosted->dir(), spec);
    if (attachment) {
      config.tap_device = attachment->tap;
      config.guest_mac = attachment->mac;
      config.guest_net = attachment->kernel_arg();
    }
    auto r = boot_or_restore(config, spec, restored);
    if (!r) launch.set_error(r.error().message);
    return r;
  }();
  bool deleted_meanwhile = false;
  if (killed_) {
    // Crash-like stop (tests): no events, no ack; the command is redelivered.
    health_.boot_ended();
    if (booted) (*booted)->kill();
    boot_finished();
    return;
  }
  if (booted) {
    health_.boot_succeeded();
    metrics_.boot_seconds.observe(std::chrono::duration<double>((*booted)->boot_time()).count());
    std::shared_ptr<vmm::Vm> vm = std::move(*booted);
    {
      std::lock_guard lock(hosted->mutex_);
      deleted_meanwhile = hosted->state != v1::VM_STATE_BOOTING;
      if (!deleted_meanwhile) hosted->vm = vm;
    }
    if (deleted_meanwhile) {
      vm->kill();
    } else if (auto s = subscribe_ops(hosted); !s) {
      fail_vm(hosted, "cannot serve its subjects: " + s.error().message);
    } else {
      std::unique_lock lock(hosted->mutex_);
      hosted->ready_at = WallClock::now();
      hosted->ready_steady = Clock::now();
      hosted->last_activity = Clock::now();
      transition_locked(*hosted, lock, v1::VM_STATE_READY,
                        restored ? "restored from a snapshot" : "");
      metrics_.creates.labels({"ready"}).inc();
      metrics_.create_to_ready_seconds.observe(
          std::chrono::duration<double>(Clock::now() - fetched).count());
    }
  } else if (is_node_fault(booted.error().code)) {
    span.set_error(booted.error().message);
    health_.boot_failed_on_node(booted.error().message);
    spdlog::error("vm-worker: this node cannot boot VMs ({}); no boots for {} ms",
                  booted.error().message, config_.runtime_retry_after.count());
    if (message->final_delivery()) {
      // No redelivery would follow a nak: end it here, with the reason.
      metrics_.creates.labels({"boot_failed"}).inc();
      fail_vm(hosted, "boot failed on its last delivery (" +
                          std::to_string(message->delivery_count()) +
                          "): " + booted.error().message);
    } else {
      keeper = {};
      requeue(*message, hosted, booted.error().message);
      boot_finished();
      return;
    }
  } else {
    health_.boot_ended();
    span.set_error(booted.error().message);
    metrics_.creates.labels({"boot_failed"}).inc();
    fail_vm(hosted, "boot failed: " + booted.error().message);
  }
  keeper = {};
  // The outcome is definitive either way: READY or FAILED is in the stream
  // before the command goes, so a redelivery elsewhere would see it.
  (void)events_->flush(std::chrono::seconds(10));
  settle(message->ack(), "ack of create " + hosted->id());
  // Still counted as a boot in flight: the snapshot's boot respects the limit.
  if (booted && !restored) make_snapshot_if_missing(spec);
  boot_finished();
}

void Worker::requeue(bus::JsMessage& message, const std::shared_ptr<HostedVm>& hosted,
                     const std::string& why) {
  metrics_.creates.labels({"requeued"}).inc();
  {
    std::unique_lock lock(hosted->mutex_);
    transition_locked(*hosted, lock, v1::VM_STATE_PENDING,
                      "worker " + config_.worker_id + " cannot boot VMs (" + why +
                          "); back in the queue for another worker");
    release_resources(*hosted);
  }
  {
    std::lock_guard lock(vms_mutex_);
    vms_.erase(hosted->id());  // nothing subscribed yet: the boot never finished
  }
  std::error_code ec;
  std::filesystem::remove_all(hosted->dir(), ec);
  // PENDING is in the stream before the command is back in the queue.
  (void)events_->flush(std::chrono::seconds(10));
  settle(message.nak(config_.busy_retry_delay), "nak of a create this node cannot boot");
}

bool Worker::reserve_with_eviction(const Resources& need) {
  for (;;) {
    if (ledger_.try_reserve(need)) return true;
    std::shared_ptr<HostedVm> victim;
    {
      std::lock_guard lock(vms_mutex_);
      if (pool_.empty()) return false;
      victim = pool_.back();
      pool_.pop_back();
    }
    spdlog::info("vm-worker: evicting warm-pool VM {} to make room", victim->id());
    discard_pool_vm(*victim);
  }
}

}  // namespace aether::worker
