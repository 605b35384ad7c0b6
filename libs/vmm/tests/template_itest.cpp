// A template made from a container image (tools/guest/build-template.sh, the
// vmm_test_template fixture: python3-minimal on Debian with an ENV, a WORKDIR
// and a USER): commands get the image's defaults, and two VMs share the
// read-only base, each writing into its own qcow2 overlay.
#include <cstdlib>
#include <future>

#include "aether/vmm/runtime.hpp"
#include "guest_image.hpp"
#include "sha256.hpp"

using namespace aether;
using namespace aether::vmm;
using namespace aether::vmm::testing;

namespace {

std::filesystem::path template_dir() {
  const char* dir = std::getenv("AETHER_TEST_TEMPLATE_DIR");
  return dir != nullptr ? dir : AETHER_TEST_TEMPLATE_DIR;
}

v1::ExecRequest command(std::vector<std::string> argv) {
  v1::ExecRequest request;
  for (auto& a : argv) request.add_argv(std::move(a));
  request.set_timeout_ms(120'000);
  return request;
}

std::string run(Vm& vm, std::vector<std::string> argv) {
  auto reply = vm.exec(command(std::move(argv)));
  REQUIRE(reply);
  INFO("stderr: " << reply->stderr());
  CHECK(reply->exit_code() == 0);
  return reply->stdout();
}

}  // namespace

TEST_CASE("two VMs of a container-image template run python3 and write apart") {
  StateRoot root;
  const auto dir = template_dir();
  const auto base = dir / "rootfs.ext4";
  auto before = sha256_file(base);
  REQUIRE(before);
  auto config_of = [&](const std::string& id) {
    auto c = guest_config(root, id);
    c.kernel = dir / "vmlinux";
    c.initrd = dir / "initramfs.cpio";
    c.rootfs = base;
    return c;
  };
  auto runtime = make_qemu_runtime(QemuOptions{}, false);
  auto boot_b = std::async(std::launch::async, [&] { return runtime->boot(config_of("vm-b")); });
  auto booted_a = runtime->boot(config_of("vm-a"));
  auto booted_b = boot_b.get();
  REQUIRE(booted_a);
  REQUIRE(booted_b);
  auto& a = **booted_a;
  auto& b = **booted_b;

  CHECK(run(a, {"python3", "-c", "print(6*7)"}) == "42\n");
  // No cwd, env or user in the request: the image's WORKDIR, ENV and USER.
  CHECK(run(a, {"sh", "-c", "echo $GREETING; pwd; id -un; echo $HOME"}) ==
        "hello-from-the-image\n/srv/app\napp\n/home/app\n");
  // The request still wins.
  auto explicit_cwd = command({"sh", "-c", "pwd; echo $GREETING"});
  explicit_cwd.set_cwd("/tmp");
  (*explicit_cwd.mutable_env())["GREETING"] = "from-the-request";
  auto reply = a.exec(explicit_cwd);
  REQUIRE(reply);
  CHECK(reply->stdout() == "/tmp\nfrom-the-request\n");

  // Same path, two VMs: each sees its own file (its own overlay).
  CHECK(run(a, {"sh", "-c", "echo written-by-a > /srv/app/same.txt && sync"}).empty());
  CHECK(run(b, {"sh", "-c", "echo written-by-b > /srv/app/same.txt && sync"}).empty());
  CHECK(run(a, {"cat", "/srv/app/same.txt"}) == "written-by-a\n");
  CHECK(run(b, {"cat", "/srv/app/same.txt"}) == "written-by-b\n");
  CHECK(std::filesystem::exists(root.path / "vm-a" / "rootfs.qcow2"));
  CHECK(std::filesystem::exists(root.path / "vm-b" / "rootfs.qcow2"));

  REQUIRE(a.shutdown());
  REQUIRE(b.shutdown());
  auto after = sha256_file(base);
  REQUIRE(after);
  CHECK(*after == *before);
}

// Snapshot of a booted, agent-ready VM; two VMs restored from it at once
// keep its files and processes' view but get their own identity.
TEST_CASE("VMs restored from a snapshot run at once and each has its own identity") {
  StateRoot root;
  const auto dir = template_dir();
  auto config_of = [&](const std::string& id) {
    auto c = guest_config(root, id);
    c.kernel = dir / "vmlinux";
    c.initrd = dir / "initramfs.cpio";
    c.rootfs = dir / "rootfs.ext4";
    return c;
  };
  auto runtime = make_qemu_runtime(QemuOptions{}, false);
  const auto snapshot_dir = root.path / "snapshot";
  {
    auto source = runtime->boot(config_of("source"));
    REQUIRE(source);
    CHECK(run(**source, {"sh", "-c", "echo kept > /srv/app/before.txt && sync"}).empty());
    REQUIRE((*source)->snapshot(snapshot_dir));
    CHECK((*source)->status().state != VmState::kRunning);
    auto after = (*source)->ping();
    REQUIRE_FALSE(after);
    CHECK(after.error().code == Errc::kVmDead);
  }
  CHECK(std::filesystem::exists(snapshot_dir / "memory.bin"));
  CHECK(std::filesystem::exists(snapshot_dir / "disk.qcow2"));

  {
    // A config that does not match the snapshot is refused, naming the field.
    auto wrong = config_of("wrong");
    wrong.memory_mib = 512;
    auto restored = runtime->restore(wrong, snapshot_dir);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().code == Errc::kInvalidConfig);
    CHECK_THAT(restored.error().message, Catch::Contains("VmConfig.memory_mib 512"));
  }

  const auto host_before = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  auto restore_2 = std::async(std::launch::async,
                              [&] { return runtime->restore(config_of("copy-2"), snapshot_dir); });
  auto r1 = runtime->restore(config_of("copy-1"), snapshot_dir);
  auto r2 = restore_2.get();
  REQUIRE(r1);
  REQUIRE(r2);
  INFO("restore took " << (*r1)->boot_time().count() / 1000 << " ms");
  for (auto* vm : {r1->get(), r2->get()}) {
    CHECK(run(*vm, {"cat", "/srv/app/before.txt"}) == "kept\n");
    CHECK(run(*vm, {"python3", "-c", "print(6*7)"}) == "42\n");
    const auto guest_now = std::stoll(run(*vm, {"date", "+%s"}));
    CHECK(guest_now >= host_before - 2);  // set forward from the snapshot's time
  }
  CHECK(run(**r1, {"cat", "/proc/sys/kernel/hostname"}) == "copy-1\n");
  CHECK(run(**r2, {"cat", "/proc/sys/kernel/hostname"}) == "copy-2\n");
  const auto id1 = run(**r1, {"cat", "/etc/machine-id"});
  const auto id2 = run(**r2, {"cat", "/etc/machine-id"});
  CHECK(id1.size() == 33);
  CHECK(id1 != id2);
  const std::vector<std::string> random = {"python3", "-c",
                                           "import os; print(os.urandom(16).hex())"};
  CHECK(run(**r1, random) != run(**r2, random));
  // Their writes stay apart too (each has its own layer on the snapshot's disk).
  CHECK(run(**r1, {"sh", "-c", "echo one > /srv/app/before.txt && cat /srv/app/before.txt"}) ==
        "one\n");
  CHECK(run(**r2, {"cat", "/srv/app/before.txt"}) == "kept\n");
  REQUIRE((*r1)->shutdown());
  REQUIRE((*r2)->shutdown());
}
