// QEMU (-M microvm) runtime: one QEMU process per VM, the agent on a
// virtio-serial port whose chardev connects to a socket we listen on, QMP for
// status and stop.
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "aether/vmm/runtime.hpp"
#include "disk_overlay.hpp"
#include "pause_record.hpp"
#include "qemu_command.hpp"
#include "qemu_snapshot.hpp"
#include "qmp_client.hpp"
#include "snapshot_record.hpp"
#include "vmm_process_vm.hpp"

namespace aether::vmm {
namespace {

using guest_proto::Clock;

class QemuVm final : public VmmProcessVm {
 public:
  QemuVm(VmConfig config, process::ChildProcess child, QemuPaths paths)
      : VmmProcessVm(std::move(config), std::move(child), "qemu", paths.console_log, "console"),
        paths_(std::move(paths)) {}

  Result<void> start(int fd, Clock::time_point launched) {
    if (auto attached = attach(fd, launched); !attached) return attached;
    if (auto qmp = qmp_.connect(paths_.qmp_socket, Clock::now() + std::chrono::seconds(5)); !qmp) {
      spdlog::warn("vmm: VM {}: no QMP ({}); status comes from the process only", config_.id,
                   qmp.error().message);
    }
    return {};
  }

  // A restored (or resumed: keep_identity, memory from the pause) VM: QMP
  // first (the state is fed through it), then the Restored exchange on the
  // channel QEMU connected at start.
  Result<void> start_restored(int fd, Clock::time_point launched,
                              const std::filesystem::path& snapshot_dir, bool resumed = false) {
    const auto deadline = launched + config_.boot_timeout;
    auto fail_with = [&](Error e) -> Result<void> {
      ::close(fd);
      kill_vmm();
      return std::unexpected(Error{e.code, "VM " + config_.id + ": restore: " + e.message});
    };
    if (auto qmp = qmp_.connect(paths_.qmp_socket, deadline); !qmp) return fail_with(qmp.error());
    if (auto loaded = load_migration(qmp_, config_.state_dir / "incoming.sock",
                                     snapshot_dir / "memory.bin", deadline);
        !loaded) {
      return fail_with(loaded.error());
    }
    // The guest runs on from the paused state and writes its disk: the pause
    // no longer matches it, so it cannot be resumed a second time.
    if (resumed) discard_pause(config_.state_dir);
    if (auto attached = attach_restored(fd, deadline, launched, !resumed); !attached) {
      kill_vmm();
      return attached;
    }
    return {};
  }

 protected:
  Result<void> snapshot_vmm(const std::filesystem::path& dir) override {
    if (!qmp_.connected()) return std::unexpected(Error{Errc::kVmDead, "no QMP: cannot snapshot"});
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return std::unexpected(Error{Errc::kIo, "cannot create " + dir.string()});
    std::filesystem::remove(dir / "snapshot.json", ec);  // incomplete until written again
    const auto deadline = Clock::now() + config_.request_timeout * 4;
    if (auto saved =
            save_migration(qmp_, config_.state_dir / "migrate.sock", dir / "memory.bin", deadline);
        !saved) {
      return saved;
    }
    if (config_.rootfs) {
      // Paused and flushed: the overlay is consistent with the memory image.
      std::filesystem::copy_file(paths_.rootfs_overlay, dir / "disk.qcow2",
                                 std::filesystem::copy_options::overwrite_existing, ec);
      if (ec) {
        return std::unexpected(Error{
            Errc::kIo, "copying the disk overlay into " + dir.string() + ": " + ec.message()});
      }
    }
    return write_snapshot_record(dir, config_, "qemu");
  }

  Result<void> pause_vmm() override {
    if (!qmp_.connected()) return std::unexpected(Error{Errc::kVmDead, "no QMP: cannot pause"});
    const auto dir = paused_dir(config_.state_dir);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir, ec);
    if (ec) return std::unexpected(Error{Errc::kIo, "cannot create " + dir.string()});
    // The state of a 64 GiB guest takes a while to write: the deadline grows
    // with the memory (at least 25 MiB/s).
    const auto deadline =
        Clock::now() + config_.request_timeout * 4 + std::chrono::seconds(config_.memory_mib / 25);
    if (auto saved =
            save_migration(qmp_, config_.state_dir / "migrate.sock", dir / "memory.bin", deadline);
        !saved) {
      discard_pause(config_.state_dir);
      return saved;
    }
    // The overlay stays in the state dir: QEMU flushed it when the migration
    // completed, and nothing else writes it until the resume.
    if (auto recorded = write_pause_record(config_); !recorded) {
      discard_pause(config_.state_dir);
      return recorded;
    }
    return {};
  }

  VmStatus live_status() override {
    if (qmp_.connected()) {
      auto reply = qmp_.execute("query-status", std::chrono::seconds(5));
      if (reply && reply->contains("status")) {
        const std::string state = (*reply)["status"].get<std::string>();
        if (state == "running") return {VmState::kRunning, state};
        return {VmState::kFailed, "qemu reports " + state};
      }
    }
    return {VmState::kRunning, "qemu process alive"};
  }

 private:
  QemuPaths paths_;
  QmpClient qmp_;
};

class QemuRuntime final : public Runtime {
 public:
  QemuRuntime(QemuOptions options, bool use_kvm)
      : options_(std::move(options)), use_kvm_(use_kvm) {}

  std::string_view name() const override { return use_kvm_ ? "qemu-kvm" : "qemu-tcg"; }

  Result<std::unique_ptr<Vm>> boot(const VmConfig& config) override {
    auto binary = prepare_boot(config, options_.binary);
    if (!binary) return std::unexpected(binary.error());
    const auto paths = qemu_paths(config);
    if (config.rootfs) {
      if (auto overlay = create_overlay(options_.img_binary, *config.rootfs, paths.rootfs_overlay);
          !overlay) {
        return std::unexpected(overlay.error());
      }
    }
    const auto launched = Clock::now();
    auto launch =
        launch_vmm(config, paths, qemu_command_line(*binary, config, options_, paths, use_kvm_));
    if (!launch) return std::unexpected(launch.error());
    auto& [vm, fd] = *launch;
    if (auto started = vm->start(fd, launched); !started) return std::unexpected(started.error());
    spdlog::info("vmm: VM {} ready in {} ms ({})", config.id, vm->boot_time().count() / 1000,
                 name());
    return std::unique_ptr<Vm>(std::move(vm));
  }

  Result<std::unique_ptr<Vm>> restore(const VmConfig& config,
                                      const std::filesystem::path& snapshot_dir) override {
    if (auto match = check_snapshot_record(snapshot_dir, config, "qemu"); !match) {
      return std::unexpected(match.error());
    }
    auto binary = prepare_boot(config, options_.binary);
    if (!binary) return std::unexpected(binary.error());
    const auto paths = qemu_paths(config);
    if (config.rootfs) {
      // The new VM's layer on the snapshot's disk (itself a layer on the base).
      if (auto overlay = create_overlay(options_.img_binary, snapshot_dir / "disk.qcow2",
                                        paths.rootfs_overlay, "qcow2");
          !overlay) {
        return std::unexpected(overlay.error());
      }
    }
    auto vm = launch_incoming(config, *binary, paths, snapshot_dir, false);
    if (!vm) return std::unexpected(vm.error());
    spdlog::info("vmm: VM {} restored from {} in {} ms ({})", config.id, snapshot_dir.string(),
                 (*vm)->boot_time().count() / 1000, name());
    return std::unique_ptr<Vm>(std::move(*vm));
  }

  Result<std::unique_ptr<Vm>> resume(const VmConfig& config) override {
    if (auto match = check_pause_record(config); !match) return std::unexpected(match.error());
    auto binary = prepare_boot(config, options_.binary);
    if (!binary) return std::unexpected(binary.error());
    const auto paths = qemu_paths(config);
    std::error_code ec;
    if (config.rootfs && !std::filesystem::is_regular_file(paths.rootfs_overlay, ec)) {
      return std::unexpected(Error{Errc::kMissingFile, "VM " + config.id + ": its disk overlay " +
                                                           paths.rootfs_overlay.string() +
                                                           " is gone; the pause cannot resume"});
    }
    auto vm = launch_incoming(config, *binary, paths, paused_dir(config.state_dir), true);
    if (!vm) return std::unexpected(vm.error());
    spdlog::info("vmm: VM {} resumed in {} ms ({})", config.id, (*vm)->boot_time().count() / 1000,
                 name());
    return std::unique_ptr<Vm>(std::move(*vm));
  }

 private:
  // restore() and resume(): QEMU started with -incoming defer, its state fed
  // from `state_dir` (a snapshot, or the VM's own pause).
  Result<std::unique_ptr<QemuVm>> launch_incoming(const VmConfig& config,
                                                  const std::filesystem::path& binary,
                                                  const QemuPaths& paths,
                                                  const std::filesystem::path& state_dir,
                                                  bool resumed) {
    if (auto owned = give_state_dir(config); !owned) return std::unexpected(owned.error());
    const auto launched = Clock::now();
    auto argv = qemu_command_line(binary, config, options_, paths, use_kvm_);
    argv.insert(argv.end(), {"-incoming", "defer"});
    auto launch = launch_vmm(config, paths, std::move(argv));
    if (!launch) return std::unexpected(launch.error());
    auto& [vm, fd] = *launch;
    if (auto started = vm->start_restored(fd, launched, state_dir, resumed); !started) {
      return std::unexpected(started.error());
    }
    return std::move(vm);
  }

  // QEMU creates the incoming socket after it dropped to -runas: the state
  // dir must be its own.
  Result<void> give_state_dir(const VmConfig& config) const {
    if (options_.run_as.empty()) return {};
    const passwd* user = ::getpwnam(options_.run_as.c_str());
    if (user == nullptr || ::chown(config.state_dir.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return std::unexpected(Error{Errc::kIo, "cannot give " + config.state_dir.string() +
                                                  " to the VMM user " + options_.run_as});
    }
    return {};
  }

  // Listens on the agent socket, spawns QEMU with argv and accepts its
  // chardev connection: the VM (not yet attached) and the channel fd.
  Result<std::pair<std::unique_ptr<QemuVm>, int>> launch_vmm(const VmConfig& config,
                                                             const QemuPaths& paths,
                                                             std::vector<std::string> argv) {
    std::error_code ec;
    std::filesystem::remove(paths.agent_socket, ec);
    std::filesystem::remove(paths.qmp_socket, ec);
    auto listener = listen_unix(paths.agent_socket);
    if (!listener) return std::unexpected(listener.error());
    const int listen_fd = *listener;
    const auto launched = Clock::now();
    auto child = spawn_vmm(std::move(argv), paths.vmm_log);
    if (!child) {
      ::close(listen_fd);
      return std::unexpected(child.error());
    }
    auto vm = std::make_unique<QemuVm>(config, std::move(*child), paths);
    auto fd = accept_agent(listen_fd, *vm, launched + config.boot_timeout);
    ::close(listen_fd);
    if (!fd) return std::unexpected(fd.error());
    return std::pair<std::unique_ptr<QemuVm>, int>{std::move(vm), *fd};
  }

  static Result<int> listen_unix(const std::filesystem::path& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.string().size() >= sizeof addr.sun_path) {
      return std::unexpected(
          Error{Errc::kInvalidConfig, "state_dir is too long for a Unix socket path (" +
                                          path.string() + " must be under 108 bytes)"});
    }
    std::strcpy(addr.sun_path, path.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, 1) != 0) {
      const int e = errno;
      if (fd >= 0) ::close(fd);
      return std::unexpected(
          Error{Errc::kIo, "cannot listen on " + path.string() + ": " + std::strerror(e)});
    }
    return fd;
  }

  // Waits for QEMU's chardev to connect, or for QEMU to die.
  static Result<int> accept_agent(int listen_fd, QemuVm& vm, Clock::time_point deadline) {
    for (;;) {
      pollfd pfd{listen_fd, POLLIN, 0};
      ::poll(&pfd, 1, 100);
      if (pfd.revents & POLLIN) {
        const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) return fd;
      }
      if (auto booting = vm.check_booting(deadline, "agent channel connection"); !booting) {
        return std::unexpected(booting.error());
      }
    }
  }

  QemuOptions options_;
  bool use_kvm_;
};

}  // namespace

std::unique_ptr<Runtime> make_qemu_runtime(QemuOptions options, bool use_kvm) {
  return std::make_unique<QemuRuntime>(std::move(options), use_kvm);
}

}  // namespace aether::vmm
