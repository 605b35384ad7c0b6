// A worker whose node cannot boot VMs (here: its QEMU binary is missing) must
// not fail the creates it fetches while healthy workers could run them: it
// hands them back to the queue and stops fetching. Real nats-server, real
// QEMU (TCG) on the healthy worker.
#include <catch2/catch.hpp>

#include "aether/http/metrics.hpp"
#include "aether/v1/worker.pb.h"
#include "aether/vmm/runtime.hpp"
#include "itest_support.hpp"
#include "worker.hpp"

using namespace aether;
using namespace aether::worker;
using namespace aether::worker::testing;

namespace {

std::shared_ptr<vmm::Runtime> broken_runtime() {
  return vmm::make_qemu_runtime({.binary = "/nonexistent/qemu-system-x86_64"}, false);
}

}  // namespace

TEST_CASE("worker: a node that cannot boot hands the create back and a healthy worker boots it") {
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir broken_state;
  auto broken_config = worker_config("w-broken", bus.server.url(), broken_state.path);
  broken_config.runtime_retry_after = 10min;  // no second try inside this test
  broken_config.runtime_retry_max = 10min;
  http::Registry broken_registry;
  Worker broken(broken_config, bus.connection, broken_runtime(), broken_registry);
  REQUIRE(broken.start());
  CHECK_FALSE(broken.runtime_fault());

  publish_create(bus.connection, create_vm("vm-nf-1"));
  const auto pending = events.wait("vm-nf-1", v1::VM_STATE_PENDING, 60s);
  CHECK(pending.worker_id() == "w-broken");
  CHECK(pending.previous_state() == v1::VM_STATE_BOOTING);
  CHECK(pending.reason().find("cannot boot VMs") != std::string::npos);
  CHECK(pending.reason().find("/nonexistent/qemu-system-x86_64") != std::string::npos);
  REQUIRE(broken.runtime_fault());
  CHECK(broken.status().runtime_fault() == *broken.runtime_fault());
  CHECK(broken.vm_count() == 0);
  CHECK(broken.status().used().vcpus() == 0);  // what it reserved is given back

  // A healthy worker joins: it takes the handed-back create and boots it.
  TempDir good_state;
  http::Registry good_registry;
  Worker good(worker_config("w-good", bus.server.url(), good_state.path), bus.connection,
              vmm::make_qemu_runtime({}, false), good_registry);
  REQUIRE(good.start());
  const auto ready = events.wait("vm-nf-1", v1::VM_STATE_READY, 240s);
  CHECK(ready.worker_id() == "w-good");
  CHECK(ready.previous_state() == v1::VM_STATE_BOOTING);

  // The broken worker stays out of the way: a second create goes to w-good too.
  publish_create(bus.connection, create_vm("vm-nf-2"));
  events.wait("vm-nf-2", v1::VM_STATE_READY, 240s);
  INFO(events.dump("vm-nf-1") << " | " << events.dump("vm-nf-2"));
  CHECK(events.count("vm-nf-1", v1::VM_STATE_FAILED) == 0);
  CHECK(events.count("vm-nf-1", v1::VM_STATE_READY) == 1);
  CHECK(events.count("vm-nf-2", v1::VM_STATE_FAILED) == 0);
  CHECK(events.count("vm-nf-2", v1::VM_STATE_PENDING) == 0);
  CHECK(broken_registry.serialize().find("aether_worker_creates_total{result=\"requeued\"} 1") !=
        std::string::npos);
  good.shutdown();
  broken.shutdown();
}

TEST_CASE("worker: on the consumer's last delivery a node fault ends the VM FAILED, not lost") {
  auto bus = Bus::start(/*max_deliver=*/2);
  EventRecorder events(bus.connection);
  TempDir state;
  auto config = worker_config("w-broken", bus.server.url(), state.path);
  config.runtime_retry_after = 100ms;  // lets the second delivery through quickly
  config.runtime_retry_max = 100ms;
  config.busy_retry_delay = 200ms;
  http::Registry registry;
  Worker broken(config, bus.connection, broken_runtime(), registry);
  REQUIRE(broken.start());

  publish_create(bus.connection, create_vm("vm-nf-3"));
  const auto failed = events.wait("vm-nf-3", v1::VM_STATE_FAILED, 60s);
  INFO(events.dump("vm-nf-3"));
  CHECK(failed.reason().find("last delivery (2)") != std::string::npos);
  CHECK(failed.reason().find("/nonexistent/qemu-system-x86_64") != std::string::npos);
  CHECK(events.count("vm-nf-3", v1::VM_STATE_PENDING) == 1);  // the first delivery went back
  broken.shutdown();
}
