// Firecracker runtime: one firecracker process per VM, configured through its
// REST API on a Unix socket, the agent reached over vsock in hybrid mode
// (connect to the vsock Unix socket, send "CONNECT <port>\n", read "OK ...\n").
// Snapshots and pauses go through the same API: PATCH /vm to pause,
// PUT /snapshot/create, and PUT /snapshot/load into a fresh process.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "aether/vmm/runtime.hpp"
#include "firecracker_api.hpp"
#include "firecracker_disk.hpp"
#include "pause_record.hpp"
#include "snapshot_record.hpp"
#include "unix_http.hpp"
#include "vmm_process_vm.hpp"

namespace aether::vmm {
namespace {

using guest_proto::Clock;
constexpr auto kApiTimeout = std::chrono::seconds(10);

int connect_unix(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof addr.sun_path) return -1;
  std::strcpy(addr.sun_path, path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// "CONNECT <port>\n" → "OK <host port>\n". -1 when the guest is not listening
// yet (Firecracker then closes the connection).
int vsock_connect(const std::filesystem::path& uds, unsigned port, Clock::time_point deadline) {
  const int fd = connect_unix(uds);
  if (fd < 0) return -1;
  const std::string request = "CONNECT " + std::to_string(port) + "\n";
  if (!guest_proto::write_all(fd, request, deadline)) {
    ::close(fd);
    return -1;
  }
  std::string line;
  while (line.size() < 64) {
    pollfd pfd{fd, POLLIN, 0};
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1000))) < 0) break;
    if (!(pfd.revents & (POLLIN | POLLHUP))) continue;
    char c;
    if (::read(fd, &c, 1) != 1) break;  // one byte at a time: the agent's frames follow
    if (c == '\n') {
      if (line.rfind("OK ", 0) == 0) return fd;
      break;
    }
    line.push_back(c);
  }
  ::close(fd);
  return -1;
}

// One API call; a non-2xx answer is an error quoting Firecracker's
// fault_message.
Result<void> call_api(const std::filesystem::path& socket, const ApiCall& call,
                      std::chrono::milliseconds timeout) {
  auto response = unix_http_request(socket, call.method, call.path, call.body.dump(), timeout);
  if (response && response->status / 100 == 2) return {};
  if (!response) {
    return std::unexpected(
        Error{response.error().code,
              "firecracker " + call.method + " " + call.path + ": " + response.error().message});
  }
  std::string why = response->body;
  auto json = nlohmann::json::parse(response->body, nullptr, false);
  if (!json.is_discarded() && json.is_object() && json.contains("fault_message") &&
      json["fault_message"].is_string()) {
    why = json["fault_message"].get<std::string>();
  }
  return std::unexpected(Error{Errc::kSpawn, "firecracker " + call.method + " " + call.path +
                                                 ": HTTP " + std::to_string(response->status) +
                                                 " " + why});
}

class FirecrackerVm final : public VmmProcessVm {
 public:
  FirecrackerVm(VmConfig config, process::ChildProcess child, FirecrackerPaths paths)
      : VmmProcessVm(std::move(config), std::move(child), "firecracker", paths.vmm_log,
                     "firecracker log"),
        paths_(std::move(paths)) {}

  // A VM whose state Firecracker loaded: the Restored exchange on a new vsock
  // connection (Firecracker resets the guest's vsock connections on load; the
  // agent accepts again). new_identity for a restore, not for a resume.
  Result<void> start_restored(int fd, Clock::time_point launched, bool new_identity) {
    if (auto attached =
            attach_restored(fd, launched + config_.boot_timeout, launched, new_identity);
        !attached) {
      kill_vmm();
      return attached;
    }
    return {};
  }

 protected:
  Result<void> snapshot_vmm(const std::filesystem::path& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return std::unexpected(Error{Errc::kIo, "cannot create " + dir.string()});
    std::filesystem::remove(dir / "snapshot.json", ec);  // incomplete until written again
    const auto files = firecracker_state_files(dir);
    if (auto saved = save_state(files); !saved) return saved;
    if (config_.rootfs) {
      // Paused: the guest writes nothing more, the disk matches the memory.
      if (auto copied = clone_disk(paths_.rootfs_disk, files.disk); !copied) return copied;
    }
    return write_snapshot_record(dir, config_, "firecracker");
  }

  Result<void> pause_vmm() override {
    const auto dir = paused_dir(config_.state_dir);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir, ec);
    if (ec) return std::unexpected(Error{Errc::kIo, "cannot create " + dir.string()});
    // The disk stays where it is (rootfs_disk): nothing writes it until the resume.
    auto saved = save_state(firecracker_state_files(dir));
    if (saved) saved = write_pause_record(config_);
    if (!saved) discard_pause(config_.state_dir);
    return saved;
  }

  bool wait_vmm_exit(std::chrono::milliseconds timeout) override {
    if (VmmProcessVm::wait_vmm_exit(timeout / 2)) return true;
    // The guest did not reboot: ask Firecracker for a Ctrl+Alt+Del.
    (void)unix_http_request(paths_.api_socket, "PUT", "/actions",
                            R"({"action_type":"SendCtrlAltDel"})", kApiTimeout);
    return VmmProcessVm::wait_vmm_exit(timeout / 2);
  }

  VmStatus live_status() override {
    auto info = unix_http_request(paths_.api_socket, "GET", "/", "", std::chrono::seconds(5));
    if (info && info->status == 200) {
      auto json = nlohmann::json::parse(info->body, nullptr, false);
      if (!json.is_discarded() && json.contains("state") && json["state"].is_string()) {
        const std::string state = json["state"];
        return {state == "Running" ? VmState::kRunning : VmState::kFailed, state};
      }
    }
    return {VmState::kRunning, "firecracker process alive"};
  }

 private:
  // Pauses the VM and has Firecracker write its state and memory to `files`.
  // Writing the memory takes a while for a large guest: the deadline grows
  // with it (at least 25 MiB/s), as QEMU's does.
  Result<void> save_state(const FirecrackerStateFiles& files) {
    const auto timeout =
        config_.request_timeout * 4 + std::chrono::seconds(config_.memory_mib / 25);
    for (const auto& call : firecracker_snapshot_calls(files)) {
      if (auto done = call_api(paths_.api_socket, call, timeout); !done) {
        return std::unexpected(
            Error{done.error().code, "VM " + config_.id + ": " + done.error().message});
      }
    }
    return {};
  }

  FirecrackerPaths paths_;
};

class FirecrackerRuntime final : public Runtime {
 public:
  explicit FirecrackerRuntime(FirecrackerOptions options) : options_(std::move(options)) {}
  std::string_view name() const override { return "firecracker"; }

  Result<std::unique_ptr<Vm>> boot(const VmConfig& config) override {
    auto prepared = prepare(config);
    if (!prepared) return std::unexpected(prepared.error());
    const auto& [binary, paths] = *prepared;
    if (config.rootfs) {
      if (auto copied = clone_disk(*config.rootfs, paths.rootfs_disk); !copied) {
        return std::unexpected(copied.error());
      }
    }
    const auto launched = Clock::now();
    const auto deadline = launched + config.boot_timeout;
    auto vm = launch(config, binary, paths, deadline);
    if (!vm) return std::unexpected(vm.error());
    for (const auto& call : firecracker_boot_calls(config, options_)) {
      if (auto done = call_api(paths.api_socket, call, kApiTimeout); !done) {
        (*vm)->kill();
        return std::unexpected(done.error());
      }
    }
    auto fd = connect_agent(**vm, paths, deadline);
    if (!fd) return std::unexpected(fd.error());
    if (auto attached = (*vm)->attach(*fd, launched); !attached) {
      return std::unexpected(attached.error());
    }
    spdlog::info("vmm: VM {} ready in {} ms (firecracker)", config.id,
                 (*vm)->boot_time().count() / 1000);
    return std::unique_ptr<Vm>(std::move(*vm));
  }

  Result<std::unique_ptr<Vm>> restore(const VmConfig& config,
                                      const std::filesystem::path& snapshot_dir) override {
    if (auto match = check_snapshot_record(snapshot_dir, config, "firecracker"); !match) {
      return std::unexpected(match.error());
    }
    auto prepared = prepare(config);
    if (!prepared) return std::unexpected(prepared.error());
    const auto& [binary, paths] = *prepared;
    const auto files = firecracker_state_files(snapshot_dir);
    if (config.rootfs) {
      // The snapshot's drive is "rootfs.ext4" in the working directory: this
      // VM's own copy of the snapshot's disk.
      if (auto copied = clone_disk(files.disk, paths.rootfs_disk); !copied) {
        return std::unexpected(copied.error());
      }
    }
    auto vm = launch_loaded(config, binary, paths, files, false);
    if (!vm) return std::unexpected(vm.error());
    spdlog::info("vmm: VM {} restored from {} in {} ms (firecracker)", config.id,
                 snapshot_dir.string(), (*vm)->boot_time().count() / 1000);
    return vm;
  }

  Result<std::unique_ptr<Vm>> resume(const VmConfig& config) override {
    if (auto match = check_pause_record(config); !match) return std::unexpected(match.error());
    auto prepared = prepare(config);
    if (!prepared) return std::unexpected(prepared.error());
    const auto& [binary, paths] = *prepared;
    std::error_code ec;
    if (config.rootfs && !std::filesystem::is_regular_file(paths.rootfs_disk, ec)) {
      return std::unexpected(Error{Errc::kMissingFile, "VM " + config.id + ": its root disk " +
                                                           paths.rootfs_disk.string() +
                                                           " is gone; the pause cannot resume"});
    }
    auto vm = launch_loaded(config, binary, paths,
                            firecracker_state_files(paused_dir(config.state_dir)), true);
    if (!vm) return std::unexpected(vm.error());
    spdlog::info("vmm: VM {} resumed in {} ms (firecracker)", config.id,
                 (*vm)->boot_time().count() / 1000);
    return vm;
  }

 private:
  // What every start needs: a valid config, the binary, the state dir and
  // the socket paths that fit.
  Result<std::pair<std::filesystem::path, FirecrackerPaths>> prepare(const VmConfig& config) {
    if (options_.guest_cid < 3) {
      return std::unexpected(
          Error{Errc::kInvalidConfig, "FirecrackerOptions.guest_cid must be >= 3"});
    }
    auto binary = prepare_boot(config, options_.binary);
    if (!binary) return std::unexpected(binary.error());
    auto paths = firecracker_paths(config);
    for (const auto& socket : {paths.vsock_socket, paths.api_socket}) {
      if (socket.string().size() >= sizeof(sockaddr_un::sun_path)) {
        return std::unexpected(
            Error{Errc::kInvalidConfig,
                  "state_dir is too long for a Unix socket path (" + socket.string() + ")"});
      }
    }
    return std::pair{std::move(*binary), std::move(paths)};
  }

  // Spawns Firecracker in the state dir and waits for its API.
  Result<std::unique_ptr<FirecrackerVm>> launch(const VmConfig& config,
                                                const std::filesystem::path& binary,
                                                const FirecrackerPaths& paths,
                                                Clock::time_point deadline) {
    std::error_code ec;
    std::filesystem::remove(paths.api_socket, ec);
    std::filesystem::remove(paths.vsock_socket, ec);
    auto child =
        spawn_vmm({binary.string(), "--api-sock", paths.api_socket.string(), "--id", config.id},
                  paths.vmm_log, paths.api_socket.parent_path());
    if (!child) return std::unexpected(child.error());
    auto vm = std::make_unique<FirecrackerVm>(config, std::move(*child), paths);
    if (auto ready = wait_for_api(*vm, paths, deadline); !ready) {
      return std::unexpected(ready.error());
    }
    return vm;
  }

  // restore() and resume(): a fresh Firecracker loads `files` and runs on
  // from them; then the agent gets its Restored frame.
  Result<std::unique_ptr<Vm>> launch_loaded(const VmConfig& config,
                                            const std::filesystem::path& binary,
                                            const FirecrackerPaths& paths,
                                            const FirecrackerStateFiles& files, bool resumed) {
    const auto launched = Clock::now();
    const auto deadline = launched + config.boot_timeout;
    auto vm = launch(config, binary, paths, deadline);
    if (!vm) return std::unexpected(vm.error());
    if (auto loaded =
            call_api(paths.api_socket, firecracker_load_call(files, config), config.boot_timeout);
        !loaded) {
      (*vm)->kill();
      return std::unexpected(Error{loaded.error().code, "VM " + config.id + ": " +
                                                            (resumed ? "resume" : "restore") +
                                                            ": " + loaded.error().message});
    }
    // The guest runs on from the paused state and writes its disk: the pause
    // no longer matches it, so it cannot be resumed a second time.
    // (Firecracker maps the memory file privately; removing it is safe.)
    if (resumed) discard_pause(config.state_dir);
    auto fd = connect_agent(**vm, paths, deadline);
    if (!fd) return std::unexpected(fd.error());
    if (auto started = (*vm)->start_restored(*fd, launched, !resumed); !started) {
      return std::unexpected(started.error());
    }
    return std::unique_ptr<Vm>(std::move(*vm));
  }

  // Hybrid vsock to the agent's port, retried until it listens.
  Result<int> connect_agent(FirecrackerVm& vm, const FirecrackerPaths& paths,
                            Clock::time_point deadline) const {
    for (;;) {
      const int fd = vsock_connect(paths.vsock_socket, options_.vsock_port, deadline);
      if (fd >= 0) return fd;
      if (auto booting = vm.check_booting(
              deadline, "agent accept on vsock port " + std::to_string(options_.vsock_port));
          !booting) {
        return std::unexpected(booting.error());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  static Result<void> wait_for_api(FirecrackerVm& vm, const FirecrackerPaths& paths,
                                   Clock::time_point deadline) {
    for (;;) {
      auto info = unix_http_request(paths.api_socket, "GET", "/", "", std::chrono::seconds(2));
      if (info && info->status == 200) return {};
      if (auto booting =
              vm.check_booting(deadline, "answer on API socket " + paths.api_socket.string());
          !booting) {
        return std::unexpected(booting.error());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  FirecrackerOptions options_;
};

}  // namespace

std::unique_ptr<Runtime> make_firecracker_runtime(FirecrackerOptions options) {
  return std::make_unique<FirecrackerRuntime>(std::move(options));
}

}  // namespace aether::vmm
