// vm-worker's stop endpoint and StopVm.grace_seconds, against a real
// nats-server and real QEMU (TCG here) booting the real guest image.
#include <catch2/catch.hpp>

#include "aether/http/metrics.hpp"
#include "aether/v1/vm.pb.h"
#include "aether/vmm/runtime.hpp"
#include "itest_support.hpp"
#include "worker.hpp"

using namespace aether;
using namespace aether::worker;
using namespace aether::worker::testing;

TEST_CASE("worker: stop refuses a grace over the limit, then stops with a grace") {
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  auto config = worker_config("w-stop", bus.server.url(), state.path);
  config.limits.max_stop_grace = std::chrono::minutes(5);
  http::Registry registry;
  Worker w(config, bus.connection, vmm::make_qemu_runtime({}, /*use_kvm=*/false), registry);
  REQUIRE(w.start());
  publish_create(bus.connection, create_vm("vm-grace"));
  events.wait("vm-grace", v1::VM_STATE_READY, 240s);

  // Over the limit: refused before anything happens to the VM.
  v1::StopVm too_long;
  too_long.set_grace_seconds(301);
  auto refused =
      bus.connection.request<v1::VmOpReply>("aether.vm.vm-grace.stop", too_long, {.timeout = 60s});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().service_code == 400);
  CHECK_THAT(refused.error().message,
             Catch::Contains("grace_seconds 301") && Catch::Contains("limit of 300"));
  auto still = bus.connection.request<v1::VmStatusReply>("aether.vm.vm-grace.status",
                                                         v1::VmStatusRequest{}, {.timeout = 60s});
  REQUIRE(still);
  CHECK(still->state() == v1::VM_STATE_READY);

  // Within the limit: the guest powers off and the VM ends STOPPED, saying so.
  v1::StopVm graceful;
  graceful.set_grace_seconds(120);
  auto stopped =
      bus.connection.request<v1::VmOpReply>("aether.vm.vm-grace.stop", graceful, {.timeout = 180s});
  INFO((stopped ? "" : stopped.error().message));
  REQUIRE(stopped);
  CHECK(stopped->state() == v1::VM_STATE_STOPPED);
  auto event = events.wait("vm-grace", v1::VM_STATE_STOPPED, 30s);
  CHECK_THAT(event.reason(),
             Catch::Contains("stop requested") && Catch::Contains("the guest powered off"));
  w.shutdown();
}
