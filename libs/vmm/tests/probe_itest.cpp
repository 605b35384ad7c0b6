#include "aether/vmm/kvm_probe.hpp"
#include "aether/vmm/runtime.hpp"
#include "guest_image.hpp"

using namespace aether::vmm;
using namespace aether::vmm::testing;

// On this project's machines /dev/kvm passes every cheap check but the kernel
// never comes up under KVM; on a real KVM host the verdict is "usable". Either
// way the verdict must be consistent, cached, and drive the auto runtime.
TEST_CASE("the KVM probe gives a verdict, caches it, and auto follows it") {
  StateRoot root;
  KvmProbeOptions options;
  options.kernel = guest_dir() / "vmlinux";
  options.initrd = guest_dir() / "initramfs.cpio";
  options.cache_dir = root.path / "cache";
  options.work_dir = root.path / "probe";
  options.boot_timeout = std::chrono::seconds(10);

  auto verdict = probe_kvm(options);
  REQUIRE(verdict);
  WARN("KVM probe: " << verdict->reason);
  for (const auto& step : verdict->steps) WARN("  " << step);
  REQUIRE_FALSE(verdict->steps.empty());
  CHECK_FALSE(verdict->from_cache);
  const auto cheap = probe_kvm_cheap(options);
  if (cheap.usable && !verdict->usable) {
    CHECK(verdict->reason == "unusable: the guest kernel did not answer under KVM within 10 s");
  }
  if (!cheap.usable) CHECK_FALSE(verdict->usable);

  auto again = probe_kvm(options);
  REQUIRE(again);
  CHECK(again->from_cache);
  CHECK(again->usable == verdict->usable);
  CHECK(again->reason == verdict->reason);

  RuntimeOptions runtime_options;
  runtime_options.kind = RuntimeKind::kQemu;
  runtime_options.probe = options;
  auto runtime = make_runtime(runtime_options);
  REQUIRE(runtime);
  CHECK((*runtime)->name() == (verdict->usable ? "qemu-kvm" : "qemu-tcg"));
}

TEST_CASE("the probe names a missing kernel") {
  KvmProbeOptions options;
  options.kernel = "/nonexistent/vmlinux";
  options.initrd = guest_dir() / "initramfs.cpio";
  auto verdict = probe_kvm(options);
  REQUIRE_FALSE(verdict);
  CHECK(verdict.error().code == Errc::kMissingFile);
  CHECK_THAT(verdict.error().message, Catch::Contains("/nonexistent/vmlinux"));
}
