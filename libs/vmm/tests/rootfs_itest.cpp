#include "aether/vmm/runtime.hpp"
#include "guest_image.hpp"

using namespace aether;
using namespace aether::vmm;
using namespace aether::vmm::testing;

// The debootstrap'ed root filesystem: commands run inside it (python3), files
// land in it, and the template image is not modified (snapshot=on).
TEST_CASE("a VM with the Debian root filesystem runs python3") {
  StateRoot root;
  const auto image = guest_dir() / "rootfs.ext4";
  REQUIRE(std::filesystem::exists(image));
  const auto size_before = std::filesystem::last_write_time(image);
  auto config = guest_config(root, "rootfs");
  config.rootfs = image;
  auto runtime = make_qemu_runtime(QemuOptions{}, false);
  auto booted = runtime->boot(config);
  REQUIRE(booted);
  auto& vm = **booted;

  v1::FilePut put;
  put.set_path("/opt/job/main.py");
  put.set_create_parents(true);
  put.set_content("import sys\nprint(sum(range(10)), sys.version_info.major)\n");
  REQUIRE(vm.put_file(put));
  v1::ExecRequest request;
  request.add_argv("python3");
  request.add_argv("/opt/job/main.py");
  request.set_timeout_ms(120'000);
  auto reply = vm.exec(request);
  REQUIRE(reply);
  CHECK(reply->exit_code() == 0);
  CHECK(reply->stdout() == "45 3\n");

  v1::FileGet get;
  get.set_path("/etc/debian_version");
  auto version = vm.get_file(get);
  REQUIRE(version);
  CHECK_THAT(version->content(), Catch::StartsWith("12"));
  REQUIRE(vm.shutdown());
  CHECK(std::filesystem::last_write_time(image) == size_before);
}
