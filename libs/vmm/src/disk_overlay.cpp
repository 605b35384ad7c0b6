#include "disk_overlay.hpp"

#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "aether/process/process.hpp"
#include "aether/vmm/runtime.hpp"

namespace aether::vmm {

Result<void> create_overlay(const std::string& qemu_img, const std::filesystem::path& base,
                            const std::filesystem::path& overlay, const std::string& base_format) {
  std::error_code ec;
  const auto absolute = std::filesystem::canonical(base, ec);
  if (ec) {
    return std::unexpected(
        Error{Errc::kMissingFile, "rootfs " + base.string() + ": " + ec.message()});
  }
  auto binary = find_executable(qemu_img);
  if (!binary) return std::unexpected(binary.error());
  std::filesystem::remove(overlay, ec);
  const auto log = overlay.string() + ".log";
  process::Spec spec;
  spec.argv = {binary->string(),  "create",        "-q", "-f", "qcow2", "-F", base_format, "-b",
               absolute.string(), overlay.string()};
  spec.log_file = log;
  spec.stop_grace = std::chrono::milliseconds(0);
  auto child = process::ChildProcess::spawn(std::move(spec));
  if (!child) {
    return std::unexpected(Error{Errc::kSpawn, "qemu-img: " + child.error().message});
  }
  const bool exited = child->wait_for(std::chrono::seconds(30));
  const auto status = child->wait_status();
  if (!exited || !status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    child->kill();
    std::ifstream in(log);
    std::ostringstream text;
    text << in.rdbuf();
    return std::unexpected(Error{Errc::kIo, "qemu-img create of the overlay " + overlay.string() +
                                                " on " + absolute.string() +
                                                " failed: " + text.str()});
  }
  std::filesystem::remove(log, ec);
  return {};
}

}  // namespace aether::vmm
