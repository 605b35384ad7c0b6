#include "restore_identity.hpp"

#include <fcntl.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>

namespace aether::vm_agent {
namespace {

bool all_of_chars(const std::string& s, const char* allowed_extra, bool lower_hex_only) {
  for (unsigned char c : s) {
    const bool ok = lower_hex_only ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                                   : (std::isalnum(c) || std::strchr(allowed_extra, c) != nullptr);
    if (!ok) return false;
  }
  return true;
}

std::string add_entropy(const std::string& seed) {
  const int fd = ::open("/dev/urandom", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return std::string("open /dev/urandom: ") + std::strerror(errno);
  // struct rand_pool_info with its buffer: credited, so the pool counts as
  // reseeded (PID 1 is root and has CAP_SYS_ADMIN).
  const std::size_t words = (seed.size() + 3) / 4;
  std::unique_ptr<char[]> storage(new char[sizeof(rand_pool_info) + words * 4]());
  auto* info = reinterpret_cast<rand_pool_info*>(storage.get());
  info->entropy_count = static_cast<int>(seed.size() * 8);
  info->buf_size = static_cast<int>(seed.size());
  std::memcpy(info->buf, seed.data(), seed.size());
  const int rc = ::ioctl(fd, RNDADDENTROPY, info);
  const int e = errno;
  ::close(fd);
  return rc == 0 ? std::string{} : std::string("RNDADDENTROPY: ") + std::strerror(e);
}

}  // namespace

std::string restored_problem(const v1::Restored& r) {
  if (r.random_seed().size() < 32 || r.random_seed().size() > 512) {
    return "restored.random_seed must be 32..512 bytes, got " +
           std::to_string(r.random_seed().size());
  }
  if (r.wall_clock_unix_ns() <= 0) return "restored.wall_clock_unix_ns must be positive";
  if (r.hostname().size() > 63 || !all_of_chars(r.hostname(), "-", false)) {
    return "restored.hostname must be 1-63 characters of [A-Za-z0-9-], got '" + r.hostname() + "'";
  }
  if (!r.machine_id().empty() &&
      (r.machine_id().size() != 32 || !all_of_chars(r.machine_id(), "", true))) {
    return "restored.machine_id must be 32 lowercase hex digits, got '" + r.machine_id() + "'";
  }
  return {};
}

std::vector<std::string> apply_restored(const v1::Restored& r, const std::string& root,
                                        bool system) {
  std::vector<std::string> failed;
  if (system) {
    if (auto why = add_entropy(r.random_seed()); !why.empty()) failed.push_back("entropy: " + why);
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(r.wall_clock_unix_ns() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(r.wall_clock_unix_ns() % 1'000'000'000);
    if (::clock_settime(CLOCK_REALTIME, &ts) != 0) {
      failed.push_back(std::string("clock: ") + std::strerror(errno));
    }
    if (!r.hostname().empty() && ::sethostname(r.hostname().data(), r.hostname().size()) != 0) {
      failed.push_back(std::string("hostname: ") + std::strerror(errno));
    }
  }
  if (!r.machine_id().empty()) {
    const std::string path = (root.empty() ? std::string() : root) + "/etc/machine-id";
    std::ofstream out(path, std::ios::trunc);
    out << r.machine_id() << "\n";
    if (!out) failed.push_back("machine id: cannot write " + path);
  }
  return failed;
}

}  // namespace aether::vm_agent
