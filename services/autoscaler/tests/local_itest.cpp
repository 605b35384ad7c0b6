// The local actuator end to end: a create on a real nats-server makes the
// autoscaler start a real aether-vm-worker process, which boots the VM
// (QEMU, TCG here); once the VM is deleted and the window has passed, the
// worker is drained (aether.worker.<id>.drain) and only then stopped.
// One VM boot in all.
#include "local_actuator.hpp"

#include "aether/v1/worker.pb.h"
#include "autoscaler.hpp"
#include "itest_support.hpp"

using namespace aether;
using namespace aether::autoscaler;
using namespace aether::autoscaler::testing;

namespace {

// Worker lifecycle events (aether.evt.worker.<id>.<state>) in arrival order.
class WorkerEvents {
 public:
  explicit WorkerEvents(bus::Connection& c) {
    auto l = BusListener::subscribe(
        c, "aether.evt.worker.>",
        [this](std::string_view, std::string_view payload, const std::optional<std::string>&) {
          v1::WorkerEvent e;
          if (!e.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
          std::lock_guard lock(mutex_);
          events_.push_back(e);
        });
    REQUIRE(l);
    listener_ = std::move(*l);
  }
  bool has(const std::string& worker, v1::WorkerState state) const {
    std::lock_guard lock(mutex_);
    for (const auto& e : events_) {
      if (e.worker_id() == worker && e.state() == state) return true;
    }
    return false;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<v1::WorkerEvent> events_;
  std::unique_ptr<BusListener> listener_;
};

// VmEvents of one VM, by state.
class VmStates {
 public:
  explicit VmStates(bus::Connection& c) {
    auto l = BusListener::subscribe(
        c, "aether.evt.vm.>",
        [this](std::string_view, std::string_view payload, const std::optional<std::string>&) {
          v1::VmEvent e;
          if (!e.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
          std::lock_guard lock(mutex_);
          events_.push_back(e);
        });
    REQUIRE(l);
    listener_ = std::move(*l);
  }
  std::optional<v1::VmEvent> find(const std::string& vm, v1::VmState state) const {
    std::lock_guard lock(mutex_);
    for (const auto& e : events_) {
      if (e.vm_id() == vm && e.state() == state) return e;
    }
    return std::nullopt;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<v1::VmEvent> events_;
  std::unique_ptr<BusListener> listener_;
};

}  // namespace

TEST_CASE("local: a create starts a real worker that takes it, idle, it is drained then stopped") {
  const char* guest = std::getenv("AETHER_GUEST_DIR");
  const char* bin = std::getenv("AETHER_BINARY_DIR");
  REQUIRE(guest != nullptr);
  REQUIRE(bin != nullptr);
  REQUIRE(std::filesystem::exists(std::filesystem::path(guest) / "vmlinux"));
  char tmpl[] = "/tmp/as-local.XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::filesystem::path state = tmpl;

  auto b = Bus::start();
  DecisionRecorder decisions(b.connection);
  WorkerEvents workers(b.connection);
  VmStates vms(b.connection);

  LocalConfig local{
      .binary = std::string(bin) + "/services/vm-worker/aether-vm-worker",
      .state_dir = state,
      .nats_url = b.server.url(),
      .id_prefix = "lw",
      .env = {"AETHER_GUEST_DIR=" + std::string(guest), "AETHER_RUNTIME=qemu",
              "AETHER_QEMU_ACCEL=tcg", "AETHER_PROVISION=false", "AETHER_ADMIN_ADDR=127.0.0.1",
              "AETHER_CAPACITY_VCPUS=2", "AETHER_CAPACITY_MEMORY=1GiB", "AETHER_CAPACITY_MAX_VMS=2",
              "AETHER_VM_MAX_VCPUS=1", "AETHER_VM_MAX_MEMORY=256MiB",
              "AETHER_MAX_CONCURRENT_BOOTS=1", "AETHER_BOOT_TIMEOUT=3m",
              "AETHER_HEARTBEAT_INTERVAL=500ms", "AETHER_LOG_FORMAT=text"},
      .stop_grace = 30s};
  AutoscalerConfig c;
  c.id = "as-local";
  c.policy = {.min_workers = 0,
              .max_workers = 2,
              .headroom = 0,
              .max_step_up = 2,
              .stabilisation = 3s,
              .scale_down = true,
              .worker_capacity = {2, 1024, 2}};
  c.lease.ttl = 1s;
  c.eval_interval = 200ms;
  c.provision = std::nullopt;
  http::Registry registry;
  Autoscaler scaler(c, b.connection, std::make_unique<LocalActuator>(local), registry);
  REQUIRE(scaler.start());
  REQUIRE(wait_for([&] { return scaler.is_leader(); }, 5s));

  publish_create(b.connection, create_vm("vm-local", 1, 256));
  auto up =
      decisions.wait([](const auto& d) { return d.action() == v1::SCALE_ACTION_SCALE_UP; }, 10s);
  INFO(decisions.dump());
  REQUIRE(up);
  CHECK(up->from_nodes() == 0);
  CHECK(up->to_nodes() == 1);
  // The real worker starts, takes the create and boots it.
  REQUIRE(wait_for([&] { return vms.find("vm-local", v1::VM_STATE_READY).has_value(); }, 300s));
  CHECK(vms.find("vm-local", v1::VM_STATE_READY)->worker_id() == "lw-1");
  CHECK(workers.has("lw-1", v1::WORKER_STATE_STARTED));
  // While it hosts the VM, no scale-down (wait past the window).
  std::this_thread::sleep_for(4s);
  for (const auto& d : decisions.all()) CHECK(d.action() != v1::SCALE_ACTION_SCALE_DOWN);

  auto deleted = b.connection.request<v1::VmOpReply>("aether.vm.vm-local.delete", v1::DeleteVm{},
                                                     {.timeout = 60s});
  INFO((deleted ? "" : deleted.error().message));
  REQUIRE(deleted);
  // Idle for the window: drained (the worker says so), then removed.
  REQUIRE(wait_for([&] { return workers.has("lw-1", v1::WORKER_STATE_DRAINING); }, 30s));
  auto removed = decisions.wait(
      [](const auto& d) { return d.reason().find("now empty: removing") != std::string::npos; },
      30s);
  REQUIRE(removed);
  CHECK(removed->to_nodes() == 0);
  REQUIRE(wait_for([&] { return workers.has("lw-1", v1::WORKER_STATE_STOPPED); }, 30s));
  scaler.stop();
  std::error_code ec;
  std::filesystem::remove_all(state, ec);
}
