// Capacity and placement with real nats-server and QEMU (TCG): the defaults
// take several VMs at once, a large create is not starved by small ones, two
// workers spread creates by room, and bad capacity settings stop the binary.
// Boots are slow under TCG: 3 + 3 + 4 boots in all.
#include <catch2/catch.hpp>

#include "aether/bus/kv.hpp"
#include "aether/config/config.hpp"
#include "aether/devstack/shell.hpp"
#include "aether/http/metrics.hpp"
#include "aether/v1/worker.pb.h"
#include "aether/vmm/runtime.hpp"
#include "itest_support.hpp"
#include "worker.hpp"

using namespace aether;
using namespace aether::worker;
using namespace aether::worker::testing;

namespace {

std::shared_ptr<vmm::Runtime> tcg() { return vmm::make_qemu_runtime({}, /*use_kvm=*/false); }

void publish_to(bus::Connection& c, const std::string& subject, const v1::CreateVm& create) {
  auto ack = c.js_publish(subject, create, {.tenant = "acme", .msg_id = create.request_id()});
  INFO((ack ? "" : ack.error().message));
  REQUIRE(ack);
}

void delete_vm(bus::Connection& c, const std::string& id) {
  auto r =
      c.request<v1::VmOpReply>("aether.vm." + id + ".delete", v1::DeleteVm{}, {.timeout = 60s});
  INFO((r ? "" : r.error().message));
  REQUIRE(r);
}

std::uint64_t backlog(bus::Connection& c, const std::string& durable) {
  auto b = bus::consumer_backlog(c, bus::kCmdsStream, durable);
  REQUIRE(b);
  return b->pending;
}

const v1::ClassRoom* class_room(const v1::WorkerStatus& s, const std::string& name) {
  for (const auto& c : s.classes()) {
    if (c.name() == name) return &c;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("capacity: with the defaults on this machine several small VMs are READY at once") {
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  // The binary's configuration path, with nothing about capacity set.
  config::Spec spec("t", "t");
  auto fields = declare_worker_config(spec);
  REQUIRE(spec.load(config::map_env({{"AETHER_WORKER_ID", "w-defaults"},
                                     {"NATS_URL", bus.server.url()},
                                     {"AETHER_STATE_DIR", state.path.string()},
                                     {"AETHER_GUEST_DIR", guest_dir().string()},
                                     {"AETHER_PROVISION", "false"}})));
  auto config = build_worker_config(*fields, "0.1.0");
  REQUIRE(config);
  const auto node = node_facts();
  CHECK(config->capacity.vcpus == node.cores * 4);
  CHECK(config->capacity.memory_mib == node.memory_mib - 2048);
  config->boot_timeout = 180s;  // TCG on a busy machine
  http::Registry registry;
  Worker w(*config, bus.connection, tcg(), registry);
  REQUIRE(w.start());

  // Three 1 vCPU / 256 MiB VMs: two on their class subject, one plain (as a
  // person with the nats CLI would publish it).
  publish_to(bus.connection, bus::vm_create_subject(1, 256), create_vm("vm-d1", 1, 256));
  publish_to(bus.connection, bus::vm_create_subject(1, 256), create_vm("vm-d2", 1, 256));
  publish_create(bus.connection, create_vm("vm-d3", 1, 256));
  for (const char* id : {"vm-d1", "vm-d2", "vm-d3"}) events.wait(id, v1::VM_STATE_READY, 300s);
  // All at the same time on this one worker.
  for (const char* id : {"vm-d1", "vm-d2", "vm-d3"}) {
    CHECK(events.count(id, v1::VM_STATE_STOPPED) == 0);
    CHECK(events.last(id, v1::VM_STATE_READY)->worker_id() == "w-defaults");
  }
  CHECK(w.vm_count() == 3);

  // Free room in the status reply and the KV heartbeat.
  const auto s = w.status();
  CHECK(s.used().vcpus() == 3);
  CHECK(s.free().vcpus() == config->capacity.vcpus - 3);
  CHECK(s.free().memory_mib() == config->capacity.memory_mib - 768);
  CHECK(s.vm_limit().vcpus() == 2);
  CHECK(s.largest_fit().memory_mib() == 2048);
  REQUIRE(s.classes_size() == 3);
  CHECK(s.classes(0).name() == "small");
  CHECK(s.classes(0).consumer() == "vm-create-small");
  CHECK(s.classes(0).fits() == std::min<std::uint32_t>(s.free().vcpus(), 29));
  CHECK(s.accepting());
  auto kv = bus::KvBucket::open(bus.connection, std::string(bus::kWorkersBucket));
  REQUIRE(kv);
  REQUIRE(wait_for(
      [&] {
        auto e = kv->get("w-defaults");
        v1::WorkerStatus hb;
        return e && hb.ParseFromString(e->value) && hb.vms() == 3 && hb.classes_size() == 3 &&
               hb.free().vcpus() == s.free().vcpus();
      },
      10s));
  w.shutdown();
}

TEST_CASE("capacity: a large create is not starved by a stream of small ones") {
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  auto config = worker_config("w-mixed", bus.server.url(), state.path);
  config.capacity = {2, 1024, 4};
  config.limits.max_vcpus = 2;
  config.limits.max_memory_mib = 512;
  auto classes = bus::parse_vm_classes("small=1x256,large=2x512");
  REQUIRE(classes);
  config.classes = *classes;
  config.starvation_after = 1s;
  config.starvation_hold_max = 120s;  // TCG boots and stops are slow: the bound is unit-tested
  config.provision = aether::bus::ProvisionConfig{};  // this table's consumers
  http::Registry registry;
  Worker w(config, bus.connection, tcg(), registry);
  REQUIRE(w.start());
  const auto small = bus::vm_create_subject(1, 256, *classes);
  const auto large = bus::vm_create_subject(2, 512, *classes);
  REQUIRE(large == "aether.cmd.vm.create.large");

  // s1 takes one of the two vCPUs; a small create still fits (and is taken
  // at once, not only when the largest VM would fit).
  publish_to(bus.connection, small, create_vm("vm-s1", 1, 256));
  events.wait("vm-s1", v1::VM_STATE_READY, 300s);
  // The large one cannot fit beside s1: it waits in its queue, and after
  // AETHER_STARVATION_AFTER the worker holds its room.
  publish_to(bus.connection, large, create_vm("vm-big", 2, 512));
  REQUIRE(wait_for([&] { return class_room(w.status(), "large")->starving(); }, 30s));
  std::this_thread::sleep_for(1500ms);  // a small pull from before that expires (500 ms)
  // So a small create that would fit the free vCPU is held back for it ...
  publish_to(bus.connection, small, create_vm("vm-s2", 1, 256));
  std::this_thread::sleep_for(3s);
  CHECK(events.of("vm-s2").empty());
  CHECK(backlog(bus.connection, "vm-create-small") == 1);
  // ... and once s1 goes, the large one gets the node before s2.
  delete_vm(bus.connection, "vm-s1");
  const auto big_ready = events.wait("vm-big", v1::VM_STATE_READY, 300s);
  CHECK(big_ready.worker_id() == "w-mixed");
  CHECK(events.of("vm-s2").empty());  // no room beside the large VM
  delete_vm(bus.connection, "vm-big");
  events.wait("vm-s2", v1::VM_STATE_READY, 300s);
  REQUIRE(wait_for([&] { return !class_room(w.status(), "large")->starving(); }, 10s));
  w.shutdown();
}

TEST_CASE("capacity: two workers spread creates by their free room") {
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir a_state, b_state;
  auto config = [&](const std::string& id, const TempDir& dir) {
    auto c = worker_config(id, bus.server.url(), dir.path);
    c.capacity = {4, 2048, 4};  // 4 small VMs each
    c.max_concurrent_boots = 2;
    return c;
  };
  http::Registry a_registry, b_registry;
  Worker a(config("w-a", a_state), bus.connection, tcg(), a_registry);
  REQUIRE(a.start());
  const auto subject = bus::vm_create_subject(1, 256);
  // A alone takes two.
  for (const char* id : {"vm-a1", "vm-a2"}) {
    publish_to(bus.connection, subject, create_vm(id, 1, 256));
    events.wait(id, v1::VM_STATE_READY, 300s);
  }
  auto kv = bus::KvBucket::open(bus.connection, std::string(bus::kWorkersBucket));
  REQUIRE(kv);
  auto reported = [&](const std::string& id, std::uint32_t vms) {
    return wait_for(
        [&] {
          auto e = kv->get(id);
          v1::WorkerStatus s;
          return e && s.ParseFromString(e->value) && s.vms() == vms && s.accepting();
        },
        20s);
  };
  REQUIRE(reported("w-a", 2));
  // B joins empty: the next creates go to B while it has more room than A
  // (A, nearly full, defers to it), then they alternate.
  Worker b(config("w-b", b_state), bus.connection, tcg(), b_registry);
  REQUIRE(b.start());
  REQUIRE(reported("w-b", 0));
  std::this_thread::sleep_for(1s);  // A's pull from before B joined expires
  for (const char* id : {"vm-b1", "vm-b2"}) {
    publish_to(bus.connection, subject, create_vm(id, 1, 256));
    const auto ready = events.wait(id, v1::VM_STATE_READY, 300s);
    CHECK(ready.worker_id() == "w-b");
  }
  REQUIRE(reported("w-b", 2));
  CHECK(a.vm_count() == 2);
  CHECK(b.vm_count() == 2);
  a.shutdown();
  b.shutdown();
}

TEST_CASE("capacity: bad capacity settings stop the binary with the variable and the rule") {
  const char* dir = std::getenv("AETHER_BINARY_DIR");
  REQUIRE(dir != nullptr);
  const std::string bin = std::string(dir) + "/services/vm-worker/aether-vm-worker";
  auto run = [&](const std::string& env) {
    return devstack::run_command("env " + env + " " + bin + " --check-config 2>&1");
  };
  auto overcommit = run("AETHER_CPU_OVERCOMMIT=0.5");
  CHECK(overcommit.exit_code == 3);
  CHECK_THAT(overcommit.output, Catch::Contains("AETHER_CPU_OVERCOMMIT=0.5") &&
                                    Catch::Contains("must be a number from 1 to 64"));
  auto reserve = run("AETHER_HOST_RESERVE_MEMORY=100TiB");
  CHECK(reserve.exit_code == 3);
  CHECK_THAT(reserve.output, Catch::Contains("AETHER_HOST_RESERVE_MEMORY=100TiB") &&
                                 Catch::Contains("must be below the host's memory"));
  auto per_vm = run("AETHER_CAPACITY_VCPUS=2 AETHER_VM_MAX_VCPUS=4");
  CHECK(per_vm.exit_code == 3);
  CHECK_THAT(per_vm.output, Catch::Contains("AETHER_VM_MAX_VCPUS=4") &&
                                Catch::Contains("must not exceed the worker's vCPU capacity of 2"));
  auto classes = run("AETHER_VM_CLASSES=small=1x512,medium=2x1GiB");
  CHECK(classes.exit_code == 3);
  CHECK_THAT(classes.output, Catch::Contains("AETHER_VM_CLASSES") &&
                                 Catch::Contains("no class holds a VM of 2 vCPU / 2048 MiB"));
  auto fine = run("AETHER_CPU_OVERCOMMIT=2");
  CHECK(fine.exit_code == 0);
  CHECK_THAT(fine.output, Catch::Contains("AETHER_VM_CLASSES=small=1x512MiB"));
}
