// Booter: the boot thread of one VM, and handing a create back.
#include "booter.hpp"

#include <spdlog/spdlog.h>

#include "vm_config.hpp"

namespace aether::worker {

void Booter::start(bus::JsMessage message, std::shared_ptr<HostedVm> hosted,
                   Clock::time_point fetched) {
  auto shared_message = std::make_shared<bus::JsMessage>(std::move(message));
  p_.health.boot_started();  // before room() is asked again: one trial at a time
  p_.slots.spawn([this, shared_message, hosted, parent = hosted->trace_parent, fetched] {
    boot(shared_message, hosted, parent, fetched);
  });
}

void Booter::boot(std::shared_ptr<bus::JsMessage> message, std::shared_ptr<HostedVm> hosted,
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
    p_.lifecycle.transition_locked(*hosted, lock, v1::VM_STATE_BOOTING, "");
  }
  // The network comes first: the TAP must exist when the VMM opens it. Under
  // the VM's lock, so a delete meanwhile (which detaches) cannot interleave.
  std::optional<net::Attachment> attachment;
  std::string network_error;
  if (spec.network()) {
    std::lock_guard lock(hosted->mutex_);
    if (!p_.lifecycle.network()) {
      network_error = "per-VM networking is not set up on this worker";
    } else if (hosted->state == v1::VM_STATE_BOOTING) {
      const std::vector<std::string> egress(spec.egress_allow().begin(), spec.egress_allow().end());
      auto a = p_.lifecycle.network()->attach(hosted->create.vm_id(), egress);
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
    auto config = make_vm_config(config_, hosted->id(), hosted->dir(), spec);
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
  if (p_.flags.killed) {
    // Crash-like stop (tests): no events, no ack; the command is redelivered.
    p_.health.boot_ended();
    if (booted) (*booted)->kill();
    p_.slots.finished();
    return;
  }
  if (booted) {
    p_.health.boot_succeeded();
    p_.metrics.boot_seconds.observe(std::chrono::duration<double>((*booted)->boot_time()).count());
    std::shared_ptr<vmm::Vm> vm = std::move(*booted);
    {
      std::lock_guard lock(hosted->mutex_);
      deleted_meanwhile = hosted->state != v1::VM_STATE_BOOTING;
      if (!deleted_meanwhile) hosted->vm = vm;
    }
    if (deleted_meanwhile) {
      vm->kill();
    } else if (auto s = p_.ops.subscribe(hosted); !s) {
      p_.lifecycle.fail_vm(hosted, "cannot serve its subjects: " + s.error().message);
    } else {
      std::unique_lock lock(hosted->mutex_);
      hosted->ready_at = WallClock::now();
      hosted->ready_steady = Clock::now();
      hosted->last_activity = Clock::now();
      p_.lifecycle.transition_locked(*hosted, lock, v1::VM_STATE_READY,
                                     restored ? "restored from a snapshot" : "");
      p_.metrics.creates.labels({"ready"}).inc();
      p_.metrics.create_to_ready_seconds.observe(
          std::chrono::duration<double>(Clock::now() - fetched).count());
    }
  } else if (is_node_fault(booted.error().code)) {
    span.set_error(booted.error().message);
    p_.health.boot_failed_on_node(booted.error().message);
    spdlog::error("vm-worker: this node cannot boot VMs ({}); no boots for {} ms",
                  booted.error().message, config_.runtime_retry_after.count());
    if (message->final_delivery()) {
      // No redelivery would follow a nak: end it here, with the reason.
      p_.metrics.creates.labels({"boot_failed"}).inc();
      p_.lifecycle.fail_vm(hosted, "boot failed on its last delivery (" +
                                       std::to_string(message->delivery_count()) +
                                       "): " + booted.error().message);
    } else {
      keeper = {};
      requeue(*message, hosted, booted.error().message);
      p_.slots.finished();
      return;
    }
  } else {
    p_.health.boot_ended();
    span.set_error(booted.error().message);
    p_.metrics.creates.labels({"boot_failed"}).inc();
    p_.lifecycle.fail_vm(hosted, "boot failed: " + booted.error().message);
  }
  keeper = {};
  // The outcome is definitive either way: READY or FAILED is in the stream
  // before the command goes, so a redelivery elsewhere would see it.
  (void)p_.lifecycle.flush(std::chrono::seconds(10));
  settle(message->ack(), "ack of create " + hosted->id());
  // Still counted as a boot in flight: the snapshot's boot respects the limit.
  if (booted && !restored) make_snapshot_if_missing(spec);
  p_.slots.finished();
}

void Booter::requeue(bus::JsMessage& message, const std::shared_ptr<HostedVm>& hosted,
                     const std::string& why) {
  p_.metrics.creates.labels({"requeued"}).inc();
  {
    std::unique_lock lock(hosted->mutex_);
    p_.lifecycle.transition_locked(*hosted, lock, v1::VM_STATE_PENDING,
                                   "worker " + config_.worker_id + " cannot boot VMs (" + why +
                                       "); back in the queue for another worker");
    p_.lifecycle.release_resources(*hosted);
  }
  p_.registry.remove(hosted->id());  // nothing subscribed yet: the boot never finished
  std::error_code ec;
  std::filesystem::remove_all(hosted->dir(), ec);
  // PENDING is in the stream before the command is back in the queue.
  (void)p_.lifecycle.flush(std::chrono::seconds(10));
  settle(message.nak(config_.busy_retry_delay), "nak of a create this node cannot boot");
}

}  // namespace aether::worker
