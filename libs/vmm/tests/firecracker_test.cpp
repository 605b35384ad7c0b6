// The Firecracker runtime against fake-firecracker, which checks every API
// call against Firecracker's published API and serves the real agent logic
// over hybrid vsock.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "aether/process/process.hpp"
#include "aether/vmm/runtime.hpp"
#include "fake_firecracker/contract.hpp"
#include "firecracker_api.hpp"
#include "firecracker_disk.hpp"
#include "unix_http.hpp"

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

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last Restored frame the fake's guest got, as it logged it.
std::string last_restored(const VmConfig& config) {
  const auto log = read_text(firecracker_paths(config).vmm_log);
  const auto at = log.rfind("guest got Restored");
  if (at == std::string::npos) return {};
  return log.substr(at, log.find('\n', at) - at);
}

// A VM with a root disk: the base image is a small file the test can read.
VmConfig disk_config_in(const TempDir& dir, const std::string& id) {
  auto config = config_in(dir);
  config.id = id;
  config.state_dir = dir.path / id;
  config.rootfs = dir.path / "base.ext4";
  if (!std::filesystem::exists(*config.rootfs)) std::ofstream(*config.rootfs) << "base\n";
  return config;
}

std::string exec_stdout(Vm& vm, const std::string& script) {
  v1::ExecRequest request;
  request.add_argv("sh");
  request.add_argv("-c");
  request.add_argv(script);
  auto reply = vm.exec(request);
  REQUIRE(reply);
  CHECK(reply->exit_code() == 0);
  return reply->stdout();
}

}  // namespace

TEST_CASE("every boot call matches Firecracker's published API") {
  TempDir dir;
  auto config = config_in(dir);
  config.rootfs = config.kernel;
  config.tap_device = "tap-fc1";
  config.guest_mac = "02:01:02:03:04:05";
  config.guest_net = "10.200.0.2/16,10.200.0.1";
  const auto calls = firecracker_boot_calls(config, FirecrackerOptions{});
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

TEST_CASE("the snapshot, pause and load calls match Firecracker's published API") {
  TempDir dir;
  auto config = config_in(dir);
  const auto files = firecracker_state_files(dir.path / "snap");
  const auto calls = firecracker_snapshot_calls(files);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].method == "PATCH");
  CHECK(calls[0].path == "/vm");
  CHECK(calls[0].body["state"] == "Paused");
  CHECK(calls[1].path == "/snapshot/create");
  CHECK(calls[1].body["snapshot_type"] == "Full");
  CHECK(calls[1].body["mem_file_path"] == (dir.path / "snap" / "memory.bin").string());
  for (const auto& call : calls) {
    INFO(call.method << " " << call.path << " " << call.body.dump());
    CHECK_FALSE(check_request(call.method, call.path, call.body.dump()));
  }
  config.tap_device = "tap-fc9";
  const auto load = firecracker_load_call(files, config);
  CHECK(load.path == "/snapshot/load");
  CHECK(load.body["mem_backend"]["backend_type"] == "File");
  CHECK(load.body["mem_backend"]["backend_path"] == files.memory.string());
  CHECK(load.body["resume_vm"] == true);
  CHECK(load.body["network_overrides"][0]["host_dev_name"] == "tap-fc9");
  INFO(load.body.dump());
  CHECK_FALSE(check_request(load.method, load.path, load.body.dump()));
}

TEST_CASE("the contract checker rejects snapshot calls Firecracker would") {
  CHECK(check_request("PATCH", "/vm", R"({"state":"Stopped"})"));
  CHECK(check_request("PATCH", "/vm", R"({})"));
  CHECK(check_request("PUT", "/vm", R"({"state":"Paused"})"));
  CHECK(check_request("PUT", "/snapshot/create", R"({"snapshot_path":"/s"})")
            .value_or("")
            .find("mem_file_path") != std::string::npos);
  CHECK(check_request("PUT", "/snapshot/create",
                      R"({"snapshot_path":"/s","mem_file_path":"/m","snapshot_type":"Partial"})"));
  // Exactly one of mem_file_path and mem_backend.
  CHECK(check_request("PUT", "/snapshot/load", R"({"snapshot_path":"/s"})"));
  CHECK(check_request(
      "PUT", "/snapshot/load",
      R"({"snapshot_path":"/s","mem_file_path":"/m","mem_backend":{"backend_type":"File","backend_path":"/m"}})"));
  CHECK(check_request("PUT", "/snapshot/load",
                      R"({"snapshot_path":"/s","mem_backend":{"backend_type":"File"}})")
            .value_or("")
            .find("backend_path") != std::string::npos);
  CHECK(check_request(
      "PUT", "/snapshot/load",
      R"({"snapshot_path":"/s","mem_backend":{"backend_type":"Disk","backend_path":"/m"}})"));
  CHECK(check_request("PUT", "/snapshot/load",
                      R"({"snapshot_path":"/s","mem_file_path":"/m","resume":true})"));
  CHECK_FALSE(check_request("PUT", "/snapshot/load",
                            R"({"snapshot_path":"/s","mem_file_path":"/m","resume_vm":false})"));
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

TEST_CASE("a root disk copy has the same bytes and keeps the holes") {
  TempDir dir;
  const auto base = dir.path / "sparse.ext4";
  {
    std::ofstream out(base, std::ios::binary);
    out << "superblock";
    out.seekp(40 << 20);
    out << "inode table";
    out.seekp((64 << 20) - 1);
    out << 'x';
  }
  REQUIRE(clone_disk(base, dir.path / "copy.ext4"));
  CHECK(read_text(dir.path / "copy.ext4") == read_text(base));
  struct stat from {
  }, to{};
  REQUIRE(::stat(base.c_str(), &from) == 0);
  REQUIRE(::stat((dir.path / "copy.ext4").c_str(), &to) == 0);
  // No more allocated than the source (shared blocks with a reflink).
  CHECK(to.st_blocks <= from.st_blocks + 64);
  auto missing = clone_disk(dir.path / "none.ext4", dir.path / "copy2.ext4");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::kMissingFile);
  CHECK_THAT(missing.error().message, Catch::Contains("none.ext4"));
  CHECK_FALSE(std::filesystem::exists(dir.path / "copy2.ext4.tmp"));
}

TEST_CASE("each Firecracker VM runs on its own copy of the root disk") {
  TempDir dir;
  auto runtime = make_firecracker_runtime(FirecrackerOptions{.binary = FAKE_FIRECRACKER});
  const auto config = disk_config_in(dir, "fc-disk");
  for (const auto& call : firecracker_boot_calls(config, FirecrackerOptions{})) {
    if (call.path == "/drives/rootfs") CHECK(call.body["path_on_host"] == "rootfs.ext4");
  }
  auto vm = runtime->boot(config);
  REQUIRE(vm);
  const auto own = config.state_dir / "rootfs.ext4";
  CHECK(read_text(own) == "base\n");
  exec_stdout(**vm, "echo written >> " + own.string());
  CHECK(read_text(own) == "base\nwritten\n");
  CHECK(read_text(*config.rootfs) == "base\n");
  REQUIRE((*vm)->shutdown());
}

TEST_CASE("a Firecracker snapshot restores into VMs that each have their own disk") {
  TempDir dir;
  auto runtime = make_firecracker_runtime(FirecrackerOptions{.binary = FAKE_FIRECRACKER});
  const auto original = disk_config_in(dir, "fc-orig");
  const auto snapshot = dir.path / "snapshot";
  {
    auto vm = runtime->boot(original);
    REQUIRE(vm);
    exec_stdout(**vm, "echo before-snapshot >> " + (original.state_dir / "rootfs.ext4").string());
    const int pid = (*vm)->vmm_pid();
    REQUIRE((*vm)->snapshot(snapshot));
    CHECK_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
    CHECK((*vm)->ping().error().code == Errc::kVmDead);
  }
  for (const char* name : {"snapshot.json", "vmstate", "memory.bin", "disk.ext4"}) {
    CHECK(std::filesystem::is_regular_file(snapshot / name));
  }
  CHECK(read_text(snapshot / "disk.ext4") == "base\nbefore-snapshot\n");
  CHECK(read_text(*original.rootfs) == "base\n");
  CHECK_THAT(read_text(snapshot / "snapshot.json"), Catch::Contains("\"firecracker\""));
  // The restored VMs must not need the original's state dir.
  std::filesystem::remove_all(original.state_dir);

  const auto first = disk_config_in(dir, "fc-r1");
  const auto second = disk_config_in(dir, "fc-r2");
  // Both at once: the snapshot directory is only read.
  auto restoring =
      std::async(std::launch::async, [&] { return runtime->restore(first, snapshot); });
  auto b = runtime->restore(second, snapshot);
  auto a = restoring.get();
  REQUIRE(a);
  REQUIRE(b);
  for (const auto* config : {&first, &second}) {
    const auto restored = last_restored(*config);
    CHECK_THAT(restored, Catch::Contains("hostname=" + config->id));
    CHECK_THAT(restored, Catch::Matches(".*machine_id=[0-9a-f]{32}$"));
    CHECK_THAT(restored, Catch::Contains("seed_bytes=64"));
  }
  CHECK((*a)->hello().agent_version() == "fake-firecracker");
  CHECK((*a)->boot_time().count() > 0);
  CHECK((*a)->status().state == VmState::kRunning);
  const auto disk_a = first.state_dir / "rootfs.ext4";
  const auto disk_b = second.state_dir / "rootfs.ext4";
  CHECK(exec_stdout(**a, "cat " + disk_a.string()) == "base\nbefore-snapshot\n");
  exec_stdout(**a, "echo only-a >> " + disk_a.string());
  CHECK(read_text(disk_a) == "base\nbefore-snapshot\nonly-a\n");
  CHECK(read_text(disk_b) == "base\nbefore-snapshot\n");
  CHECK(read_text(snapshot / "disk.ext4") == "base\nbefore-snapshot\n");
  REQUIRE((*a)->shutdown());
  REQUIRE((*b)->shutdown());
}

TEST_CASE("a Firecracker restore with another config is refused naming the field") {
  TempDir dir;
  auto runtime = make_firecracker_runtime(FirecrackerOptions{.binary = FAKE_FIRECRACKER});
  const auto snapshot = dir.path / "snapshot";
  {
    auto vm = runtime->boot(disk_config_in(dir, "fc-orig"));
    REQUIRE(vm);
    REQUIRE((*vm)->snapshot(snapshot));
  }
  auto config = disk_config_in(dir, "fc-r1");
  config.memory_mib = 512;
  auto refused = runtime->restore(config, snapshot);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kInvalidConfig);
  CHECK_THAT(refused.error().message, Catch::Contains("VmConfig.memory_mib"));

  config = disk_config_in(dir, "fc-r1");
  config.rootfs.reset();
  refused = runtime->restore(config, snapshot);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("VmConfig.rootfs"));

  // A QEMU snapshot (its record names qemu, or nothing) is not Firecracker's.
  auto record = nlohmann::json::parse(read_text(snapshot / "snapshot.json"));
  record.erase("vmm");
  std::ofstream(snapshot / "snapshot.json") << record.dump();
  refused = runtime->restore(disk_config_in(dir, "fc-r1"), snapshot);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kInvalidConfig);
  CHECK_THAT(refused.error().message, Catch::Contains("taken by qemu"));
}

TEST_CASE("a load Firecracker refuses fails the restore with its fault message") {
  TempDir dir;
  auto runtime = make_firecracker_runtime(FirecrackerOptions{.binary = FAKE_FIRECRACKER});
  const auto snapshot = dir.path / "snapshot";
  {
    auto vm = runtime->boot(config_in(dir));
    REQUIRE(vm);
    REQUIRE((*vm)->snapshot(snapshot));
  }
  // Memory from somewhere else: Firecracker cannot load it.
  std::ofstream(snapshot / "memory.bin", std::ios::trunc) << "not this VM's memory";
  auto config = config_in(dir);
  config.id = "fc-r1";
  config.state_dir = dir.path / "fc-r1";
  auto refused = runtime->restore(config, snapshot);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kSpawn);
  CHECK_THAT(refused.error().message, Catch::Contains("restore: firecracker PUT /snapshot/load"));
  CHECK_THAT(refused.error().message, Catch::Contains("HTTP 400"));
  CHECK_THAT(refused.error().message, Catch::Contains("does not belong"));
}

TEST_CASE("fake-firecracker refuses snapshot calls out of order, as Firecracker does") {
  TempDir dir;
  const auto socket = dir.path / "api.sock";
  process::Spec spec;
  spec.argv = {FAKE_FIRECRACKER, "--api-sock", socket.string(), "--id", "order"};
  spec.log_file = dir.path / "fake.log";
  spec.working_dir = dir.path;
  auto fake = process::ChildProcess::spawn(std::move(spec));
  REQUIRE(fake);
  auto call = [&](const std::string& method, const std::string& path, const nlohmann::json& body) {
    for (int i = 0; i < 200; ++i) {
      auto response = unix_http_request(socket, method, path, body.dump(), std::chrono::seconds(5));
      if (response) return *response;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("fake-firecracker did not answer");
    return HttpResponse{};
  };
  auto fault = [](const HttpResponse& response) {
    return nlohmann::json::parse(response.body).value("fault_message", "");
  };
  const nlohmann::json create = {{"snapshot_path", (dir.path / "vmstate").string()},
                                 {"mem_file_path", (dir.path / "memory.bin").string()}};
  // Before start: no pause, no snapshot.
  auto response = call("PATCH", "/vm", {{"state", "Paused"}});
  CHECK(response.status == 400);
  CHECK_THAT(fault(response), Catch::Contains("before starting"));
  CHECK(call("PUT", "/snapshot/create", create).status == 400);
  // A load after a boot resource was configured.
  REQUIRE(call("PUT", "/machine-config", {{"vcpu_count", 1}, {"mem_size_mib", 64}}).status == 204);
  response =
      call("PUT", "/snapshot/load",
           {{"snapshot_path", (dir.path / "vmstate").string()},
            {"mem_backend",
             {{"backend_type", "File"}, {"backend_path", (dir.path / "memory.bin").string()}}}});
  CHECK(response.status == 400);
  CHECK_THAT(fault(response), Catch::Contains("after configuring boot-specific resources"));
  // A snapshot of a running VM.
  REQUIRE(call("PUT", "/boot-source", {{"kernel_image_path", "/k"}}).status == 204);
  REQUIRE(call("PUT", "/actions", {{"action_type", "InstanceStart"}}).status == 204);
  response = call("PUT", "/snapshot/create", create);
  CHECK(response.status == 400);
  CHECK_THAT(fault(response), Catch::Contains("must be paused"));
  REQUIRE(call("PATCH", "/vm", {{"state", "Paused"}}).status == 204);
  CHECK(call("PUT", "/snapshot/create", create).status == 204);
  CHECK(std::filesystem::file_size(dir.path / "memory.bin") == 64u << 20);
  // Boot resources stay refused after start, paused or not.
  CHECK(call("PUT", "/machine-config", {{"vcpu_count", 2}, {"mem_size_mib", 64}}).status == 400);
  fake->kill();
}

TEST_CASE("a paused Firecracker VM resumes with its identity and disk") {
  TempDir dir;
  auto runtime = make_firecracker_runtime(FirecrackerOptions{.binary = FAKE_FIRECRACKER});
  const auto config = disk_config_in(dir, "fc-pause");
  const auto disk = config.state_dir / "rootfs.ext4";
  {
    auto vm = runtime->boot(config);
    REQUIRE(vm);
    exec_stdout(**vm, "echo before-pause >> " + disk.string());
    const int pid = (*vm)->vmm_pid();
    REQUIRE((*vm)->pause());
    CHECK_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
  }
  CHECK(is_paused(config.state_dir));
  for (const char* name : {"pause.json", "vmstate", "memory.bin"}) {
    CHECK(std::filesystem::is_regular_file(paused_dir(config.state_dir) / name));
  }
  auto recorded = read_pause_record(config.state_dir);
  REQUIRE(recorded);
  CHECK(recorded->id == "fc-pause");
  CHECK(recorded->rootfs == config.rootfs);

  auto other = config;
  other.memory_mib = 512;
  auto refused = runtime->resume(other);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kInvalidConfig);
  CHECK_THAT(refused.error().message, Catch::Contains("VmConfig.memory_mib"));
  CHECK(is_paused(config.state_dir));

  auto resumed = runtime->resume(config);
  REQUIRE(resumed);
  CHECK_FALSE(is_paused(config.state_dir));
  const auto restored = last_restored(config);
  CHECK_THAT(restored, Catch::Contains("seed_bytes=64"));
  CHECK_THAT(restored, Catch::EndsWith("hostname= machine_id="));  // identity kept
  CHECK(exec_stdout(**resumed, "cat " + disk.string()) == "base\nbefore-pause\n");
  REQUIRE((*resumed)->shutdown());

  auto again = runtime->resume(config);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::kMissingFile);
}
