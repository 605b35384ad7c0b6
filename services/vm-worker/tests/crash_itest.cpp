// vm-worker as a real process: killed mid-boot (the create is redelivered to
// the other worker and the VM is READY exactly once), restarted (it kills the
// hypervisors it left and reports its lost VMs FAILED), SIGTERM (drains).
#include <httplib.h>
#include <signal.h>
#include <catch2/catch.hpp>

#include "aether/devstack/net.hpp"
#include "aether/http/metrics.hpp"
#include "aether/process/process.hpp"
#include "aether/vmm/runtime.hpp"
#include "itest_support.hpp"
#include "recovery_scan.hpp"
#include "worker.hpp"

using namespace aether;
using namespace aether::worker;
using namespace aether::worker::testing;

namespace {

std::string worker_binary() {
  const char* dir = std::getenv("AETHER_BINARY_DIR");
  REQUIRE(dir != nullptr);
  return std::string(dir) + "/services/vm-worker/aether-vm-worker";
}

process::ChildProcess spawn_worker(const std::string& id, const std::string& nats_url,
                                   const std::filesystem::path& state_dir,
                                   int* admin_port = nullptr) {
  auto port = devstack::free_port();
  REQUIRE(port);
  if (admin_port != nullptr) *admin_port = *port;
  std::vector<std::string> argv = {
      "/usr/bin/env",
      "NATS_URL=" + nats_url,
      "AETHER_WORKER_ID=" + id,
      "AETHER_NODE_NAME=itest-node",
      "AETHER_STATE_DIR=" + state_dir.string(),
      "AETHER_GUEST_DIR=" + guest_dir().string(),
      "AETHER_RUNTIME=qemu",
      "AETHER_QEMU_ACCEL=tcg",
      "AETHER_PROVISION=false",
      "AETHER_ADMIN_ADDR=127.0.0.1",
      "AETHER_ADMIN_PORT=" + std::to_string(*port),
      "AETHER_CAPACITY_VCPUS=2",
      "AETHER_CAPACITY_MEMORY=1GiB",
      "AETHER_CAPACITY_MAX_VMS=2",
      "AETHER_VM_MAX_VCPUS=1",
      "AETHER_VM_MAX_MEMORY=256MiB",
      "AETHER_MAX_CONCURRENT_BOOTS=1",
      "AETHER_BOOT_TIMEOUT=3m",
      "AETHER_IN_PROGRESS_INTERVAL=2s",
      "AETHER_HEARTBEAT_INTERVAL=1s",
      "AETHER_LOG_FORMAT=text",
      worker_binary(),
  };
  auto p = process::ChildProcess::spawn(
      {.argv = argv, .log_file = state_dir.parent_path() / (id + ".log"), .stop_signal = SIGTERM});
  REQUIRE(p);
  return std::move(*p);
}

}  // namespace

TEST_CASE(
    "crash: killed mid-boot then READY exactly once elsewhere with restart recovery and SIGTERM") {
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir root;
  const auto a_state = root.path / "a";
  std::filesystem::create_directories(a_state);

  auto a = spawn_worker("w-crash", bus.server.url(), a_state);
  // vm-r: READY on A, then lost when A dies.
  publish_create(bus.connection, create_vm("vm-r"));
  events.wait("vm-r", v1::VM_STATE_READY, 240s);
  // vm-x: A dies while booting it.
  publish_create(bus.connection, create_vm("vm-x"));
  events.wait("vm-x", v1::VM_STATE_BOOTING, 60s);
  ::kill(a.pid(), SIGKILL);
  REQUIRE(wait_for([&] { return !a.running(); }, 10s));
  // Its hypervisors outlive it (own process groups): what recovery must clean.
  const auto orphans_r = processes_using(a_state / "vms" / "vm-r");
  CHECK_FALSE(orphans_r.empty());

  // Worker B (in-process) gets the redelivered create once A's ack wait ends
  // and A's heartbeat has expired, and boots it: READY once, on B.
  TempDir b_state;
  http::Registry registry;
  Worker b(worker_config("w-b", bus.server.url(), b_state.path), bus.connection,
           vmm::make_qemu_runtime({}, false), registry);
  REQUIRE(b.start());
  auto ready = events.wait("vm-x", v1::VM_STATE_READY, 300s);
  CHECK(ready.worker_id() == "w-b");
  CHECK(events.count("vm-x", v1::VM_STATE_READY) == 1);
  CHECK(events.count("vm-r", v1::VM_STATE_READY) == 1);

  // A restarts: kills what it left, reports vm-r FAILED (it was the last to
  // hold it), leaves vm-x alone (B holds it now).
  int admin_port = 0;
  auto a2 = spawn_worker("w-crash", bus.server.url(), a_state, &admin_port);
  auto failed = events.wait("vm-r", v1::VM_STATE_FAILED, 60s);
  CHECK(failed.worker_id() == "w-crash");
  CHECK_THAT(failed.reason(), Catch::Contains("restarted"));
  REQUIRE(wait_for([&] { return processes_using(a_state / "vms").empty(); }, 30s));
  std::this_thread::sleep_for(2s);
  CHECK(events.count("vm-x", v1::VM_STATE_FAILED) == 0);
  CHECK(events.count("vm-x", v1::VM_STATE_READY) == 1);

  // Still exactly once after everything settled; B serves it.
  v1::ExecRequest exec;
  exec.add_argv("/bin/echo");
  exec.add_argv("x");
  auto reply = bus.connection.request<v1::ExecReply>("aether.vm.vm-x.exec", exec, {.timeout = 60s});
  REQUIRE(reply);
  CHECK(reply->stdout() == "x\n");

  // The restarted process's admin endpoints.
  httplib::Client admin("127.0.0.1", admin_port);
  admin.set_connection_timeout(2);
  REQUIRE(wait_for(
      [&] {
        auto r = admin.Get("/readyz");
        return r && r->status == 200;
      },
      30s));
  auto health = admin.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto metrics = admin.Get("/metrics");
  REQUIRE(metrics);
  CHECK_THAT(metrics->body, Catch::Contains("aether_worker_capacity{resource=\"vms\"} 2"));
  CHECK_THAT(metrics->body, Catch::Contains("aether_worker_vms{state=\"ready\"} 0"));

  // SIGTERM: A drains and exits cleanly.
  const bool exited_in_grace = a2.stop(std::chrono::seconds(60));
  INFO("worker " << a2.describe_exit() << "; its log:\n"
                 << process::log_tail(root.path / "w-crash.log", 60));
  CHECK(exited_in_grace);
  CHECK(a2.exited_successfully());
  b.shutdown();
  CHECK(events.last("vm-x", v1::VM_STATE_STOPPED).has_value());
}
