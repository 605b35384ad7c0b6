#include "vmm_process_vm.hpp"

#include "aether/vmm/runtime.hpp"

namespace aether::vmm {

using guest_proto::Clock;

Result<process::ChildProcess> spawn_vmm(std::vector<std::string> argv,
                                        const std::filesystem::path& log,
                                        const std::filesystem::path& working_dir) {
  process::Spec spec;
  spec.argv = std::move(argv);
  spec.log_file = log;
  spec.working_dir = working_dir;
  spec.stop_grace = std::chrono::milliseconds(0);
  spec.kill_with_parent = false;
  // A VMM may be handed descriptors on purpose (e.g. a TAP fd); ours are
  // close-on-exec.
  spec.close_inherited_fds = false;
  auto child = process::ChildProcess::spawn(std::move(spec));
  if (child) return std::move(*child);
  const auto& error = child.error();
  const Errc code = error.code == process::Errc::kNotFound ? Errc::kMissingFile
                    : error.code == process::Errc::kIo     ? Errc::kIo
                                                           : Errc::kSpawn;
  return std::unexpected(Error{code, error.message});
}

Result<std::filesystem::path> prepare_boot(const VmConfig& config, const std::string& binary) {
  if (auto ok = validate(config); !ok) return std::unexpected(ok.error());
  auto path = find_executable(binary);
  if (!path) return std::unexpected(path.error());
  std::error_code ec;
  std::filesystem::create_directories(config.state_dir, ec);
  if (ec) {
    return std::unexpected(Error{
        Errc::kIo, "cannot create state_dir " + config.state_dir.string() + ": " + ec.message()});
  }
  return path;
}

Result<void> VmmProcessVm::attach(int fd, Clock::time_point launched) {
  if (auto attached = attach_channel(fd, launched + config_.boot_timeout, launched); !attached) {
    kill_vmm();
    return attached;
  }
  return {};
}

Result<void> VmmProcessVm::check_booting(Clock::time_point deadline, const std::string& what) {
  if (status().state != VmState::kRunning) {
    return std::unexpected(
        Error{Errc::kSpawn, name_ + " exited during boot, waiting for " + what + ": " +
                                process::log_tail(child_.spec().log_file, 0, 1500)});
  }
  if (Clock::now() >= deadline) {
    kill();
    return std::unexpected(Error{
        Errc::kBootTimeout,
        "VM " + config_.id + ": no " + what + " within the boot timeout; " + name_ + " killed"});
  }
  return {};
}

VmStatus VmmProcessVm::vmm_status() {
  if (!child_.running()) {
    return {child_.exited_successfully() ? VmState::kStopped : VmState::kFailed,
            name_ + " " + child_.describe_exit()};
  }
  return live_status();
}

std::string VmmProcessVm::diagnostics() {
  const auto tail = process::log_tail(diagnostics_log_, 0, 800);
  return tail.empty() ? std::string{} : "; " + diagnostics_label_ + " tail: " + tail;
}

}  // namespace aether::vmm
