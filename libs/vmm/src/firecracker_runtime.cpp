// Firecracker runtime: one firecracker process per VM, configured through its
// REST API on a Unix socket, the agent reached over vsock in hybrid mode
// (connect to the vsock Unix socket, send "CONNECT <port>\n", read "OK ...\n").
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "aether/vmm/runtime.hpp"
#include "firecracker_api.hpp"
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

class FirecrackerVm final : public VmmProcessVm {
 public:
  FirecrackerVm(VmConfig config, process::ChildProcess child, FirecrackerPaths paths)
      : VmmProcessVm(std::move(config), std::move(child), "firecracker", paths.vmm_log,
                     "firecracker log"),
        paths_(std::move(paths)) {}

 protected:
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
  FirecrackerPaths paths_;
};

class FirecrackerRuntime final : public Runtime {
 public:
  explicit FirecrackerRuntime(FirecrackerOptions options) : options_(std::move(options)) {}
  std::string_view name() const override { return "firecracker"; }

  Result<std::unique_ptr<Vm>> boot(const VmConfig& config) override {
    if (options_.guest_cid < 3) {
      return std::unexpected(
          Error{Errc::kInvalidConfig, "FirecrackerOptions.guest_cid must be >= 3"});
    }
    auto binary = prepare_boot(config, options_.binary);
    if (!binary) return std::unexpected(binary.error());
    std::error_code ec;
    const auto paths = firecracker_paths(config);
    if (paths.vsock_socket.string().size() >= sizeof(sockaddr_un::sun_path)) {
      return std::unexpected(Error{
          Errc::kInvalidConfig,
          "state_dir is too long for a Unix socket path (" + paths.vsock_socket.string() + ")"});
    }
    std::filesystem::remove(paths.api_socket, ec);
    std::filesystem::remove(paths.vsock_socket, ec);

    const auto launched = Clock::now();
    const auto deadline = launched + config.boot_timeout;
    auto child =
        spawn_vmm({binary->string(), "--api-sock", paths.api_socket.string(), "--id", config.id},
                  paths.vmm_log);
    if (!child) return std::unexpected(child.error());
    auto vm = std::make_unique<FirecrackerVm>(config, std::move(*child), paths);

    if (auto ready = wait_for_api(*vm, paths, deadline); !ready)
      return std::unexpected(ready.error());
    for (const auto& call : firecracker_boot_calls(config, options_, paths)) {
      auto response = unix_http_request(paths.api_socket, call.method, call.path, call.body.dump(),
                                        kApiTimeout);
      if (!response || response->status / 100 != 2) {
        vm->kill();
        const std::string why =
            response ? "HTTP " + std::to_string(response->status) + " " + response->body
                     : response.error().message;
        return std::unexpected(
            Error{Errc::kSpawn, "firecracker " + call.method + " " + call.path + ": " + why});
      }
    }
    int fd = -1;
    while (fd < 0) {
      fd = vsock_connect(paths.vsock_socket, options_.vsock_port, deadline);
      if (fd >= 0) break;
      if (auto booting = vm->check_booting(
              deadline, "agent accept on vsock port " + std::to_string(options_.vsock_port));
          !booting) {
        return std::unexpected(booting.error());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (auto attached = vm->attach(fd, launched); !attached)
      return std::unexpected(attached.error());
    spdlog::info("vmm: VM {} ready in {} ms (firecracker)", config.id,
                 vm->boot_time().count() / 1000);
    return vm;
  }

 private:
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
