// The Firecracker runtime against fake-firecracker, which checks every API
// call against Firecracker's published API and serves the real agent logic
// over hybrid vsock.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "aether/vmm/runtime.hpp"
#include "fake_firecracker/contract.hpp"
#include "firecracker_api.hpp"

using namespace aether;
using namespace aether::vmm;
using aether::vmm::fake::check_request;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/fc_test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

VmConfig config_in(const TempDir& dir) {
  VmConfig config;
  config.id = "fc-1";
  config.state_dir = dir.path / "fc-1";
  config.kernel = dir.path / "vmlinux";
  config.initrd = dir.path / "initramfs.cpio";
  config.boot_timeout = std::chrono::seconds(20);
  std::ofstream(config.kernel) << "k";
  std::ofstream(config.initrd) << "i";
  return config;
}

}  // namespace

TEST_CASE("every boot call matches Firecracker's published API") {
  TempDir dir;
  auto config = config_in(dir);
  config.rootfs = config.kernel;
  config.tap_device = "tap-fc1";
  config.guest_mac = "02:01:02:03:04:05";
  config.guest_net = "10.200.0.2/16,10.200.0.1";
  const auto calls =
      firecracker_boot_calls(config, FirecrackerOptions{}, firecracker_paths(config));
  REQUIRE(calls.size() == 6);
  CHECK(calls.back().path == "/actions");
  CHECK(calls.back().body["action_type"] == "InstanceStart");
  for (const auto& call : calls) {
    if (call.path == "/network-interfaces/eth0") {
      CHECK(call.body["guest_mac"] == "02:01:02:03:04:05");
    }
    if (call.path == "/boot-source") {
      CHECK_THAT(call.body["boot_args"].get<std::string>(),
                 Catch::Contains("aether.net=10.200.0.2/16,10.200.0.1"));
    }
    INFO(call.method << " " << call.path << " " << call.body.dump());
    CHECK_FALSE(check_request(call.method, call.path, call.body.dump()));
  }
}

TEST_CASE("the contract checker rejects what Firecracker would") {
  CHECK(check_request("PUT", "/boot-source", R"({"boot_args":"x"})")
            .value_or("")
            .find("kernel_image_path") != std::string::npos);
  CHECK(check_request("PUT", "/machine-config", R"({"vcpu_count":"2","mem_size_mib":128})"));
  CHECK(
      check_request("PUT", "/machine-config", R"({"vcpu_count":2,"mem_size_mib":128,"ht":true})"));
  CHECK(check_request("PUT", "/vsock", R"({"guest_cid":2,"uds_path":"/x"})"));
  CHECK(check_request("PUT", "/drives/a", R"({"drive_id":"b","is_root_device":true})"));
  CHECK(check_request("PUT", "/actions", R"({"action_type":"Reboot"})"));
  CHECK(check_request("POST", "/actions", R"({"action_type":"InstanceStart"})"));
  CHECK(check_request("PUT", "/vsocks", R"({})"));
}

TEST_CASE("the Firecracker runtime boots, execs, moves files and stops through the API") {
  TempDir dir;
  auto runtime = make_firecracker_runtime(FirecrackerOptions{.binary = FAKE_FIRECRACKER});
  CHECK(runtime->name() == "firecracker");
  auto booted = runtime->boot(config_in(dir));
  REQUIRE(booted);
  auto& vm = **booted;
  CHECK(vm.hello().agent_version() == "fake-firecracker");
  CHECK(vm.status().state == VmState::kRunning);
  REQUIRE(vm.ping());

  v1::ExecRequest request;
  request.add_argv("sh");
  request.add_argv("-c");
  request.add_argv("cat; exit 4");
  request.set_stdin("through vsock");
  auto reply = vm.exec(request);
  REQUIRE(reply);
  CHECK(reply->stdout() == "through vsock");
  CHECK(reply->exit_code() == 4);

  v1::FilePut put;
  put.set_path((dir.path / "put.txt").string());
  put.set_content(std::string(600'000, 'f'));
  REQUIRE(vm.put_file(put));
  v1::FileGet get;
  get.set_path(put.path());
  auto got = vm.get_file(get);
  REQUIRE(got);
  CHECK(got->content() == put.content());

  const int pid = vm.vmm_pid();
  REQUIRE(vm.shutdown());
  CHECK(vm.status().state == VmState::kStopped);
  CHECK_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
}

TEST_CASE("a missing firecracker binary is named") {
  TempDir dir;
  auto runtime = make_firecracker_runtime(FirecrackerOptions{.binary = "/opt/none/firecracker"});
  auto vm = runtime->boot(config_in(dir));
  REQUIRE_FALSE(vm);
  CHECK(vm.error().code == Errc::kMissingFile);
  CHECK_THAT(vm.error().message, Catch::Contains("/opt/none/firecracker"));
}
