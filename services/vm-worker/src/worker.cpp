// Worker: wiring of the parts, start/stop, status, drain, the micro service.
#include "worker.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "aether/bus/jetstream.hpp"
#include "vm_state.hpp"

namespace aether::worker {

using google::protobuf::util::TimeUtil;

Worker::Worker(WorkerConfig config, bus::Connection connection,
               std::shared_ptr<vmm::Runtime> runtime, http::Registry& registry)
    : config_(std::move(config)),
      connection_(std::move(connection)),
      runtime_(std::move(runtime)),
      metrics_(registry),
      ledger_(config_.capacity),
      planner_(config_.classes, config_.limits.max_vcpus, config_.limits.max_memory_mib),
      health_(config_.runtime_retry_after, config_.runtime_retry_max),
      heartbeat_(config_.worker_id, config_.heartbeat_interval, [this] { return status(); }),
      slots_(config_.max_concurrent_boots, [this] { heartbeat_.changed(); }),
      lifecycle_(config_, std::string(runtime_->name()), ledger_, registry_, slots_),
      pool_(config_, *runtime_, registry_, ledger_, slots_, health_, lifecycle_, metrics_, flags_),
      pauser_(config_, *runtime_, ledger_, registry_, lifecycle_, pool_, slots_),
      ops_(config_, connection_, registry_, lifecycle_, pauser_, metrics_),
      booter_(config_, {*runtime_, ledger_, slots_, health_, lifecycle_, registry_, ops_,
                        heartbeat_, metrics_, flags_}),
      intake_(config_, {connection_, registry_, lifecycle_, pool_, booter_, ops_, planner_,
                        heartbeat_, metrics_, flags_}),
      consumer_(config_, {connection_, planner_, ledger_, registry_, slots_, health_, heartbeat_,
                          intake_, flags_}),
      reaper_(config_, registry_, lifecycle_, ledger_, metrics_) {}

Worker::~Worker() {
  if (flags_.started && !flags_.stopped) kill();
}

Result<void> Worker::start() {
  if (config_.provision) {
    bus::ProvisionConfig provision_config = *config_.provision;
    provision_config.vm_classes = config_.classes;
    if (auto p = bus::provision(connection_, provision_config); !p) {
      return fail(Errc::kBus, "provisioning the bus: " + p.error().message);
    }
  }
  auto kv = bus::KvBucket::open(connection_, std::string(bus::kWorkersBucket));
  if (!kv) return fail(Errc::kBus, "opening KV aether_workers: " + kv.error().message);
  workers_kv_ = std::move(*kv);
  intake_.set_workers(&*workers_kv_);
  lifecycle_.open(connection_);
  std::error_code ec;
  std::filesystem::create_directories(config_.state_dir / "vms", ec);
  if (ec)
    return fail(Errc::kIo, "AETHER_STATE_DIR: cannot create " +
                               (config_.state_dir / "vms").string() + ": " + ec.message());

  recovery_ = Recovery(config_, connection_, lifecycle_, pauser_, registry_, ops_).run();
  if (config_.network_enabled) {
    auto network = net::HostNetwork::setup(config_.network);
    if (!network) return fail(Errc::kNetwork, "per-VM networking: " + network.error().message);
    network_ = std::move(*network);
    lifecycle_.set_network(network_.get());
    // The hypervisors a previous run left are dead now (recover): their TAPs go.
    if (auto stale = network_->cleanup_stale(); !stale) {
      return fail(Errc::kNetwork, "per-VM networking: " + stale.error().message);
    }
  }
  if (auto s = start_worker_service(); !s) return s;
  flags_.started = true;
  lifecycle_.publish_worker_event(v1::WORKER_STATE_STARTED, "");
  reaper_.update_metrics();
  heartbeat_.start(*workers_kv_);
  reaper_.start();
  pool_.start();
  if (auto c = consumer_.start(*workers_kv_); !c) return c;
  spdlog::info(
      "vm-worker {} started: capacity {}; per VM at most {} vCPU, {} MiB; classes {}; runtime {}, "
      "warm pool {}",
      config_.worker_id, describe(config_.capacity_source, config_.capacity),
      config_.limits.max_vcpus, config_.limits.max_memory_mib,
      bus::format_vm_classes(config_.classes), runtime_->name(), config_.warm_pool.size);
  return {};
}

bool Worker::ready() const {
  return flags_.started && !flags_.stopped && !flags_.draining && connection_.connected();
}

void Worker::stop_threads() {
  consumer_.stop();
  pool_.stop();
  slots_.join_all();  // boots run to their end (bounded by the boot timeout)
  drain_thread_ = {};
  reaper_.stop();
  heartbeat_.stop();
}

void Worker::shutdown() {
  if (!flags_.started || flags_.stopped.exchange(true)) return;
  spdlog::info("vm-worker {}: shutting down (drain, stop_vms={})", config_.worker_id,
               config_.drain_stop_vms);
  flags_.draining = true;
  metrics_.draining.set(1);
  lifecycle_.publish_worker_event(v1::WORKER_STATE_DRAINING, "shutdown");
  consumer_.stop();  // no more fetches; a create being accepted finishes first
  pool_.stop();
  const auto deadline = Clock::now() + config_.drain_timeout;
  slots_.wait_idle(deadline);
  if (!config_.drain_stop_vms) wait_for_vms_to_end(deadline, std::stop_token{});
  drain_thread_ = {};
  for (const auto& vm : registry_.all()) {
    lifecycle_.stop_vm(vm, "worker " + config_.worker_id + " shut down");
  }
  pool_.empty();
  stop_threads();
  if (network_) {
    if (auto t = network_->teardown(); !t) {
      spdlog::warn("vm-worker: tearing down the VM network: {}", t.error().message);
    }
  }
  lifecycle_.publish_worker_event(v1::WORKER_STATE_STOPPED, "shutdown");
  if (!lifecycle_.flush(std::chrono::seconds(10))) {
    spdlog::warn("vm-worker: some events were not published before shutdown");
  }
  if (workers_kv_) (void)workers_kv_->erase(config_.worker_id);
  registry_.drop_subscriptions();
  service_.reset();
  spdlog::info("vm-worker {}: stopped", config_.worker_id);
}

void Worker::kill() {
  flags_.killed = true;
  if (flags_.stopped.exchange(true)) return;
  flags_.draining = true;
  consumer_.stop();
  pool_.stop();
  reaper_.stop();
  heartbeat_.stop();
  service_.reset();
  for (const auto& vm : registry_.all()) {
    std::lock_guard l(vm->mutex_);
    vm->subscriptions.clear();
    if (vm->vm) vm->vm->kill();
  }
  registry_.pool_kill_all();
  registry_.clear_graveyard();
  stop_threads();
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
  s.set_draining(flags_.draining);
  auto [runtime, accelerated] = runtime_facts(runtime_->name());
  s.set_runtime(runtime);
  s.set_accelerated(accelerated);
  *s.mutable_heartbeat_at() = TimeUtil::GetCurrentTime();
  s.set_version(config_.version);
  if (auto fault = health_.fault()) s.set_runtime_fault(*fault);
  const Resources free = consumer_.free_room();
  fill(s.mutable_free(), free);
  fill(s.mutable_vm_limit(), {config_.limits.max_vcpus, config_.limits.max_memory_mib, 1});
  if (free.vms > 0) {
    fill(s.mutable_largest_fit(), {std::min(free.vcpus, config_.limits.max_vcpus),
                                   std::min(free.memory_mib, config_.limits.max_memory_mib), 1});
  } else {
    fill(s.mutable_largest_fit(), {});
  }
  const auto [starving, resting] = consumer_.held();
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

bool Worker::accepting() const {
  if (!flags_.started || flags_.draining || health_.fault()) return false;
  return slots_.slot_free();
}

v1::DrainReply Worker::drain(const v1::DrainWorker& request) {
  if (!flags_.draining.exchange(true)) {
    metrics_.draining.set(1);
    lifecycle_.publish_worker_event(v1::WORKER_STATE_DRAINING, "drain requested");
    spdlog::info("vm-worker {}: draining (stop_vms={})", config_.worker_id, request.stop_vms());
  }
  if (request.stop_vms() || request.deadline_seconds() > 0) {
    const bool now = request.stop_vms();
    const auto deadline = Clock::now() + std::chrono::seconds(request.deadline_seconds());
    drain_thread_ = std::jthread([this, now, deadline](std::stop_token stop) {
      // Without stop_vms: let the VMs finish until the deadline, then stop the rest.
      if (!now) wait_for_vms_to_end(deadline, stop);
      if (stop.stop_requested()) return;
      pool_.empty();
      for (const auto& vm : registry_.all()) {
        lifecycle_.stop_vm(vm, "worker " + config_.worker_id + " drained");
      }
    });
  }
  v1::DrainReply reply;
  reply.set_worker_id(config_.worker_id);
  reply.set_vms_remaining(static_cast<std::uint32_t>(vms_holding_resources()));
  return reply;
}

std::size_t Worker::vms_holding_resources() const {
  std::size_t n = 0;
  for (const auto& vm : registry_.all()) {
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

Result<void> Worker::start_worker_service() {
  bus::ServiceConfig sc{.name = "vm-worker",
                        .version = config_.version,
                        .description = "boots microVMs and runs commands in them",
                        .metadata = {{"worker_id", config_.worker_id}, {"node", config_.node}}};
  auto service = bus::Service::start(connection_, std::move(sc));
  if (!service) return fail(Errc::kBus, "micro service: " + service.error().message);
  service_ = std::move(*service);
  const std::string prefix = "aether.worker." + config_.worker_id + ".";
  auto st = service_->add_endpoint_raw(
      {.name = "status", .subject = prefix + "status"},
      [this](std::string_view, const bus::RequestContext& ctx) -> bus::Result<std::string> {
        return bus::encode(status(), ctx.content_type);
      });
  if (!st) return fail(Errc::kBus, "endpoint status: " + st.error().message);
  auto dr = service_->add_endpoint<v1::DrainWorker, v1::DrainReply>(
      {.name = "drain", .subject = prefix + "drain"},
      [this](const v1::DrainWorker& req,
             const bus::RequestContext&) -> bus::Result<v1::DrainReply> { return drain(req); });
  if (!dr) return fail(Errc::kBus, "endpoint drain: " + dr.error().message);
  return {};
}

}  // namespace aether::worker
