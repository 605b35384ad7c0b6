// Pause and resume (Vm::pause, Runtime::resume) of a VM of the container-image
// template: the paused VM's files and processes are there again after the
// resume, and it keeps its identity. One boot, one resume.
#include <cstdlib>

#include "aether/vmm/runtime.hpp"
#include "guest_image.hpp"

using namespace aether;
using namespace aether::vmm;
using namespace aether::vmm::testing;

namespace {

std::string run(Vm& vm, const std::string& script) {
  v1::ExecRequest request;
  for (const char* a : {"sh", "-c"}) request.add_argv(a);
  request.add_argv(script);
  request.set_timeout_ms(120'000);
  auto reply = vm.exec(request);
  REQUIRE(reply);
  INFO("stderr: " << reply->stderr());
  CHECK(reply->exit_code() == 0);
  return reply->stdout();
}

long long host_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("a paused VM resumes with its files, its background process and its identity") {
  StateRoot root;
  const std::filesystem::path dir = AETHER_TEST_TEMPLATE_DIR;
  auto config = guest_config(root, "vm-pause");
  config.kernel = dir / "vmlinux";
  config.initrd = dir / "initramfs.cpio";
  config.rootfs = dir / "rootfs.ext4";
  auto runtime = make_qemu_runtime(QemuOptions{}, false);

  std::string pid;
  std::string machine_id;
  std::string hostname;
  {
    auto booted = runtime->boot(config);
    REQUIRE(booted);
    auto& vm = **booted;
    CHECK(run(vm, "echo on-disk > /srv/app/kept.txt && sync").empty());
    // Its own session (the agent ends an exec's process group with it; this
    // one is meant to outlive its exec, like a server a user started).
    // Popen returns after the child's setsid and exec, so no race with that.
    pid = run(vm,
              "python3 -c 'import subprocess as s; print(s.Popen([\"sleep\", \"1000\"], "
              "start_new_session=True, stdin=s.DEVNULL, stdout=s.DEVNULL).pid)'");
    REQUIRE_FALSE(pid.empty());
    pid.pop_back();  // newline
    CHECK(run(vm, "kill -0 " + pid + " && echo alive") == "alive\n");
    // The image has no machine id until something writes one: a resume must not.
    machine_id = run(vm, "cat /etc/machine-id 2>/dev/null; true");
    hostname = run(vm, "cat /proc/sys/kernel/hostname");
    const int vmm_pid = vm.vmm_pid();

    REQUIRE(vm.pause());
    CHECK_FALSE(process_alive(vmm_pid));
    auto after = vm.ping();
    REQUIRE_FALSE(after);
    CHECK(after.error().code == Errc::kVmDead);
  }
  REQUIRE(is_paused(config.state_dir));
  CHECK(std::filesystem::file_size(paused_dir(config.state_dir) / "memory.bin") > 0);
  CHECK(std::filesystem::exists(config.state_dir / "rootfs.qcow2"));  // the overlay stays

  // What a restarted worker reads back: the same VM.
  auto recorded = read_pause_record(config.state_dir);
  REQUIRE(recorded);
  CHECK(recorded->id == config.id);
  CHECK(recorded->memory_mib == config.memory_mib);
  CHECK(recorded->rootfs == config.rootfs);
  {
    auto wrong = config;
    wrong.memory_mib = 512;
    auto resumed = runtime->resume(wrong);
    REQUIRE_FALSE(resumed);
    CHECK(resumed.error().code == Errc::kInvalidConfig);
    CHECK_THAT(resumed.error().message, Catch::Contains("VmConfig.memory_mib '512'"));
    CHECK(is_paused(config.state_dir));  // a refused resume leaves the pause alone
  }

  const auto host_before = host_seconds();
  auto resumed = runtime->resume(*recorded);
  REQUIRE(resumed);
  auto& vm = **resumed;
  CHECK_FALSE(is_paused(config.state_dir));  // consumed: the disk moves on from it
  CHECK(run(vm, "cat /srv/app/kept.txt") == "on-disk\n");
  CHECK(run(vm, "kill -0 " + pid + " && tr '\\0' ' ' < /proc/" + pid + "/cmdline") ==
        "sleep 1000 ");
  CHECK(run(vm, "cat /etc/machine-id 2>/dev/null; true") == machine_id);  // same identity
  CHECK(run(vm, "cat /proc/sys/kernel/hostname") == hostname);
  CHECK(std::stoll(run(vm, "date +%s")) >= host_before - 2);  // clock set forward
  CHECK(run(vm, "echo after >> /srv/app/kept.txt && cat /srv/app/kept.txt") == "on-disk\nafter\n");

  // Nothing left to resume a second time.
  auto again = runtime->resume(config);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::kMissingFile);
  REQUIRE(vm.shutdown());
}
