// Templates made from container images (tools/guest/build-template.sh, the
// vmm_test_template fixture): found by name under an AETHER_TEMPLATES root,
// reported in WorkerStatus, booted with their own qcow2 overlay on the shared
// base (removed on delete); an unknown template ends FAILED naming it.
#include <catch2/catch.hpp>

#include "aether/http/metrics.hpp"
#include "aether/v1/exec.pb.h"
#include "aether/v1/vm.pb.h"
#include "aether/v1/worker.pb.h"
#include "aether/vmm/runtime.hpp"
#include "itest_support.hpp"
#include "template_scan.hpp"
#include "worker.hpp"

using namespace aether;
using namespace aether::worker;
using namespace aether::worker::testing;

TEST_CASE("worker: a VM of a container-image template found by name runs python3") {
  const char* from_env = std::getenv("AETHER_TEST_TEMPLATES_ROOT");
  const std::string root = from_env != nullptr ? from_env : AETHER_TEST_TEMPLATES_ROOT;
  auto bus = Bus::start();
  EventRecorder events(bus.connection);
  TempDir state;
  auto config = worker_config("w-tpl", bus.server.url(), state.path);
  auto found = parse_templates(guest_dir(), {root});
  INFO((found ? "" : found.error().message));
  REQUIRE(found);
  REQUIRE(found->contains("python"));
  REQUIRE(found->at("python").rootfs);
  config.templates = *found;
  config.snapshots = true;
  http::Registry registry;
  Worker w(config, bus.connection, vmm::make_qemu_runtime({}, /*use_kvm=*/false), registry);
  REQUIRE(w.start());

  auto status = bus.connection.request<v1::WorkerStatus>("aether.worker.w-tpl.status",
                                                         v1::DrainWorker{}, {.timeout = 30s});
  REQUIRE(status);
  std::map<std::string, v1::TemplateInfo> offered;
  for (const auto& t : status->templates()) offered[t.name()] = t;
  REQUIRE(offered.contains("default"));
  REQUIRE(offered.contains("python"));
  CHECK_THAT(offered["python"].image_id(), Catch::StartsWith("sha256:"));
  CHECK_THAT(offered["python"].image_source(), Catch::Contains("aether-test-python"));

  auto unknown = create_vm("vm-nope", 1, 256);
  unknown.mutable_spec()->set_template_("no-such-image");
  publish_create(bus.connection, unknown);
  auto failed = events.wait("vm-nope", v1::VM_STATE_FAILED, 60s);
  CHECK_THAT(failed.reason(), Catch::Contains("'no-such-image'") && Catch::Contains("python"));

  auto create = create_vm("vm-py", 1, 256);
  create.mutable_spec()->set_template_("python");
  publish_create(bus.connection, create);
  events.wait("vm-py", v1::VM_STATE_READY, 240s);
  CHECK(std::filesystem::exists(state.path / "vms" / "vm-py" / "rootfs.qcow2"));

  v1::ExecRequest exec;
  exec.add_argv("python3");
  exec.add_argv("-c");
  exec.add_argv("print(6*7)");
  auto reply =
      bus.connection.request<v1::ExecReply>("aether.vm.vm-py.exec", exec, {.timeout = 120s});
  REQUIRE(reply);
  CHECK(reply->exit_code() == 0);
  CHECK(reply->stdout() == "42\n");
  exec.clear_argv();
  exec.add_argv("sh");
  exec.add_argv("-c");
  exec.add_argv("id -un; pwd");
  reply = bus.connection.request<v1::ExecReply>("aether.vm.vm-py.exec", exec, {.timeout = 60s});
  REQUIRE(reply);
  CHECK(reply->stdout() == "app\n/srv/app\n");

  auto deleted = bus.connection.request<v1::VmOpReply>("aether.vm.vm-py.delete", v1::DeleteVm{},
                                                       {.timeout = 60s});
  REQUIRE(deleted);
  events.wait("vm-py", v1::VM_STATE_DELETED, 30s);
  CHECK_FALSE(std::filesystem::exists(state.path / "vms" / "vm-py"));  // the overlay went with it

  // After that first cold boot the worker made a snapshot of python/1x256;
  // the next create of that template and size is restored from it.
  const auto snapshot = state.path / "snapshots" / "python-1x256" / "snapshot.json";
  REQUIRE(wait_for([&] { return std::filesystem::exists(snapshot); }, 300s));
  auto again = create_vm("vm-py2", 1, 256);
  again.mutable_spec()->set_template_("python");
  publish_create(bus.connection, again);
  auto ready = events.wait("vm-py2", v1::VM_STATE_READY, 240s);
  CHECK(ready.reason() == "restored from a snapshot");
  exec.clear_argv();
  exec.add_argv("sh");
  exec.add_argv("-c");
  exec.add_argv("python3 -c 'print(6*7)'; cat /proc/sys/kernel/hostname");
  reply = bus.connection.request<v1::ExecReply>("aether.vm.vm-py2.exec", exec, {.timeout = 60s});
  REQUIRE(reply);
  CHECK(reply->stdout() == "42\nvm-py2\n");
  w.shutdown();
}
