// CreateIntake: one fetched create, from decode to the boot.
#include "create_intake.hpp"

#include <spdlog/spdlog.h>

#include <fstream>

#include "spec_rules.hpp"
#include "vm_state.hpp"

namespace aether::worker {

namespace {

bool write_file(const std::filesystem::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}

}  // namespace

bool CreateIntake::worker_alive(const std::string& worker_id) {
  auto entry = workers_->get(worker_id);
  return entry.has_value();
}

void CreateIntake::handle(bus::JsMessage& message, std::size_t index) {
  const auto fetched = Clock::now();
  if (p_.flags.draining) {
    // Fetched just before a drain began: hand it back for another worker.
    settle(message.nak(), "nak while draining");
    return;
  }
  auto create = message.decode_as<v1::CreateVm>();
  if (!create) {
    spdlog::error("vm-worker: malformed CreateVm (stream seq {}) terminated: {}",
                  message.stream_sequence(), create.error().message);
    p_.metrics.creates.labels({"malformed"}).inc();
    settle(message.term(), "term of a malformed create");
    return;
  }
  if (auto why = malformed_reason(*create)) {
    spdlog::error("vm-worker: malformed CreateVm (stream seq {}) terminated: {}",
                  message.stream_sequence(), *why);
    p_.metrics.creates.labels({"malformed"}).inc();
    settle(message.term(), "term of a malformed create");
    return;
  }
  const std::string vm_id = create->vm_id();
  if (create->tenant().empty()) create->set_tenant(message.tenant());

  // Handled already, here? (a redelivery after a slow in-progress)
  if (p_.registry.find(vm_id)) {
    spdlog::info("vm-worker: create for VM {} redelivered; this worker already holds it", vm_id);
    p_.metrics.creates.labels({"duplicate"}).inc();
    settle(message.ack(), "ack of a duplicate create");
    return;
  }
  // Handled already, elsewhere? The event stream knows.
  auto last = latest_event(p_.connection, vm_id);
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
      p_.lifecycle.fail_unhosted(*create, ev.state(),
                                 "worker " + ev.worker_id() + " that hosted it is gone");
      (void)p_.lifecycle.flush(std::chrono::seconds(5));
      p_.metrics.creates.labels({"duplicate"}).inc();
      settle(message.ack(), "ack of a handled create");
      return;
    }
    if (!in_flight && !handed_back) {
      spdlog::info("vm-worker: create for VM {} already handled (last event {} by {}); acked",
                   vm_id, state_token(ev.state()), ev.worker_id());
      p_.metrics.creates.labels({"duplicate"}).inc();
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
    p_.metrics.creates.labels({"invalid"}).inc();
    {
      std::unique_lock lock(hosted->mutex_);
      hosted->resources_released = true;  // nothing was reserved
      p_.lifecycle.transition_locked(*hosted, lock, v1::VM_STATE_FAILED, *why);
    }
    (void)p_.lifecycle.flush(std::chrono::seconds(5));
    settle(message.ack(), "ack of an impossible create");
    return;
  }

  // Served from the warm pool?
  if (auto pooled = p_.pool.take(create->spec())) {
    {
      std::unique_lock lock(pooled->mutex_);
      pooled->create = *create;
      pooled->trace_parent = hosted->trace_parent;
      pooled->state = v1::VM_STATE_UNSPECIFIED;
      p_.lifecycle.transition_locked(*pooled, lock, v1::VM_STATE_SCHEDULED, "");
      (void)write_file(pooled->dir() / "create.pb", create->SerializeAsString());
    }
    p_.registry.add(vm_id, pooled);
    if (auto s = p_.ops.subscribe(pooled); !s) {
      p_.lifecycle.fail_vm(pooled, "cannot serve its subjects: " + s.error().message);
    } else {
      std::unique_lock lock(pooled->mutex_);
      pooled->ready_at = WallClock::now();
      pooled->ready_steady = Clock::now();
      pooled->last_activity = Clock::now();
      p_.lifecycle.transition_locked(*pooled, lock, v1::VM_STATE_READY,
                                     "served from the warm pool");
    }
    p_.metrics.creates.labels({"warm_pool"}).inc();
    p_.metrics.create_to_ready_seconds.observe(
        std::chrono::duration<double>(Clock::now() - fetched).count());
    (void)p_.lifecycle.flush(std::chrono::seconds(5));
    settle(message.ack(), "ack");
    return;
  }

  if (!p_.pool.reserve_with_eviction(hosted->reserved())) {
    // Fetched from the plain subject, or from a class it does not belong to
    // (a publisher with another class table): its own class's consumer gets it.
    const std::size_t cls =
        p_.planner.class_of(create->spec().vcpus(), create->spec().memory_mib());
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
    p_.lifecycle.transition_locked(*hosted, lock, v1::VM_STATE_SCHEDULED, "");
  }
  std::error_code ec;
  std::filesystem::create_directories(hosted->dir(), ec);
  if (ec || !write_file(hosted->dir() / "create.pb", create->SerializeAsString())) {
    p_.lifecycle.fail_vm(hosted, "cannot write the VM's state dir " + hosted->dir().string());
    settle(message.ack(), "ack");
    return;
  }
  p_.registry.add(vm_id, hosted);
  p_.heartbeat.changed();
  p_.booter.start(std::move(message), hosted, fetched);
}

void CreateIntake::forward(bus::JsMessage& message, const v1::CreateVm& create, std::size_t cls) {
  const std::string subject = bus::vm_create_class_subject(p_.planner.classes()[cls].name);
  bus::JsPublishOptions options;
  options.tenant = message.tenant();
  // Stable across redeliveries of this message: a retry is dropped as a duplicate.
  options.msg_id = "aether-fwd-" + std::to_string(message.stream_sequence());
  auto ack = p_.connection.js_publish(subject, create, options);
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
  p_.metrics.creates.labels({"forwarded"}).inc();
  if (auto r = message.ack(); !r) spdlog::warn("vm-worker: ack failed: {}", r.error().message);
}

}  // namespace aether::worker
