// Pause and resume over the bus (aether.vm.<id>.pause|resume), real QEMU/TCG
// with the default guest: create -> READY -> pause (PAUSED event, the room
// back in WorkerStatus) -> resume -> its file and background process are
// there; then paused again, the worker restarted, and the VM is still
// PAUSED there and resumes. One boot, two resumes.
#include <catch2/catch.hpp>

#include "aether/http/metrics.hpp"
#include "aether/v1/exec.pb.h"
#include "aether/v1/vm.pb.h"
#include "aether/v1/worker.pb.h"
#include "aether/vmm/runtime.hpp"
#include "itest_support.hpp"
#include "worker.hpp"

using namespace aether;
using namespace aether::worker;
using namespace aether::worker::testing;

namespace {

v1::WorkerStatus status_of(bus::Connection& c, const std::string& worker) {
  auto status = c.request<v1::WorkerStatus>("aether.worker." + worker + ".status",
                                            v1::DrainWorker{}, {.timeout = 30s});
  REQUIRE(status);
  return *status;
}

bus::Result<v1::VmOpReply> op(bus::Connection& c, const std::string& vm, const std::string& what) {
  if (what == "pause") {
    return c.request<v1::VmOpReply>("aether.vm." + vm + ".pause", v1::PauseVm{}, {.timeout = 120s});
  }
  return c.request<v1::VmOpReply>("aether.vm." + vm + ".resume", v1::ResumeVm{}, {.timeout = 180s});
}

}  // namespace

TEST_CASE(
    "worker: pause frees the room, resume brings files and processes back, and a restart "
    "keeps the VM paused") {
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  auto config = worker_config("w-pause", bus.server.url(), state.path);
  http::Registry registry;
  auto w = std::make_unique<Worker>(config, bus.connection,
                                    vmm::make_qemu_runtime({}, /*use_kvm=*/false), registry);
  REQUIRE(w->start());

  publish_create(bus.connection, create_vm("vm-p", 1, 256));
  events.wait("vm-p", v1::VM_STATE_READY, 240s);
  CHECK(sh(bus.connection, "vm-p", "echo kept > /tmp/kept.txt; cat /tmp/kept.txt") == "kept\n");
  // A process in its own session outlives its exec (the agent ends the exec's
  // group); wait until setsid has happened (field 6 of stat: the session).
  std::string pid = sh(bus.connection, "vm-p",
                       "setsid sleep 1000 </dev/null >/dev/null 2>&1 & p=$!; "
                       "while [ \"$(cut -d' ' -f6 /proc/$p/stat)\" != \"$p\" ]; do sleep 0.1; "
                       "done; echo $p");
  REQUIRE_FALSE(pid.empty());
  pid.pop_back();
  CHECK(status_of(bus.connection, "w-pause").used().vcpus() == 1);

  // A second resume of a READY VM and a pause of an unknown one answer plainly.
  auto ready_resume = op(bus.connection, "vm-p", "resume");
  REQUIRE(ready_resume);
  CHECK(ready_resume->state() == v1::VM_STATE_READY);

  auto paused = op(bus.connection, "vm-p", "pause");
  INFO((paused ? "" : paused.error().message));
  REQUIRE(paused);
  CHECK(paused->state() == v1::VM_STATE_PAUSED);
  // Events arrive in order on one subscription, so once PAUSED is here the
  // PAUSING before it is too.
  events.wait_reason("vm-p", v1::VM_STATE_PAUSED, "paused in", 10s);
  CHECK(events.count("vm-p", v1::VM_STATE_PAUSING) == 1);
  CHECK(vmm::is_paused(state.path / "vms" / "vm-p"));
  const auto freed = status_of(bus.connection, "w-pause");
  CHECK(freed.used().vcpus() == 0);
  CHECK(freed.used().memory_mib() == 0);
  // While paused: no exec (409 naming the state), and a second pause is a no-op.
  v1::ExecRequest exec;
  exec.add_argv("true");
  auto refused =
      bus.connection.request<v1::ExecReply>("aether.vm.vm-p.exec", exec, {.timeout = 30s});
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("paused"));
  auto again = op(bus.connection, "vm-p", "pause");
  REQUIRE(again);
  CHECK(again->state() == v1::VM_STATE_PAUSED);

  auto resumed = op(bus.connection, "vm-p", "resume");
  INFO((resumed ? "" : resumed.error().message));
  REQUIRE(resumed);
  CHECK(resumed->state() == v1::VM_STATE_READY);
  events.wait_reason("vm-p", v1::VM_STATE_READY, "resumed in", 10s);
  CHECK(status_of(bus.connection, "w-pause").used().vcpus() == 1);
  CHECK(sh(bus.connection, "vm-p", "cat /tmp/kept.txt") == "kept\n");
  CHECK(sh(bus.connection, "vm-p", "kill -0 " + pid + " && cat /proc/" + pid + "/comm") ==
        "sleep\n");

  // Paused again, then the worker restarts: the VM is still there, PAUSED.
  REQUIRE(op(bus.connection, "vm-p", "pause"));
  w->shutdown();
  w.reset();
  w = std::make_unique<Worker>(config, bus.connection,
                               vmm::make_qemu_runtime({}, /*use_kvm=*/false), registry);
  REQUIRE(w->start());
  auto st = bus.connection.request<v1::VmStatusReply>("aether.vm.vm-p.status",
                                                      v1::VmStatusRequest{}, {.timeout = 30s});
  REQUIRE(st);
  CHECK(st->state() == v1::VM_STATE_PAUSED);
  CHECK(events.count("vm-p", v1::VM_STATE_FAILED) == 0);
  auto after_restart = op(bus.connection, "vm-p", "resume");
  INFO((after_restart ? "" : after_restart.error().message));
  REQUIRE(after_restart);
  CHECK(after_restart->state() == v1::VM_STATE_READY);
  CHECK(sh(bus.connection, "vm-p", "cat /tmp/kept.txt") == "kept\n");
  CHECK(sh(bus.connection, "vm-p", "kill -0 " + pid + " && echo alive") == "alive\n");

  auto deleted = bus.connection.request<v1::VmOpReply>("aether.vm.vm-p.delete", v1::DeleteVm{},
                                                       {.timeout = 60s});
  REQUIRE(deleted);
  events.wait("vm-p", v1::VM_STATE_DELETED, 30s);
  CHECK_FALSE(std::filesystem::exists(state.path / "vms" / "vm-p"));
  w->shutdown();
}
