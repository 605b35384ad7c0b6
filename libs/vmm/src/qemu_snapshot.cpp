#include "qemu_snapshot.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "aether/process/unique_fd.hpp"

namespace aether::vmm {
namespace {

using guest_proto::Clock;

using Fd = process::UniqueFd;

Error io_error(const std::string& what) {
  return Error{Errc::kIo, what + ": " + std::strerror(errno)};
}

bool fill_addr(const std::filesystem::path& path, sockaddr_un& addr) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof addr.sun_path) return false;
  std::strcpy(addr.sun_path, path.c_str());
  return true;
}

std::chrono::milliseconds left(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()));
}

// Polls query-migrate until it ends; "completed" is success.
Result<void> wait_migration(QmpClient& qmp, Clock::time_point deadline) {
  for (;;) {
    auto info = qmp.execute("query-migrate", left(deadline));
    if (!info) return std::unexpected(info.error());
    const std::string status = info->value("status", "");
    if (status == "completed") return {};
    if (status == "failed" || status == "cancelled") {
      return std::unexpected(
          Error{Errc::kIo, "migration " + status + ": " + info->value("error-desc", "")});
    }
    if (Clock::now() >= deadline) {
      return std::unexpected(
          Error{Errc::kTimeout, "migration still " + status + " at the deadline"});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

Result<void> save_migration(QmpClient& qmp, const std::filesystem::path& socket_path,
                            const std::filesystem::path& file, Clock::time_point deadline) {
  sockaddr_un addr;
  if (!fill_addr(socket_path, addr)) {
    return std::unexpected(
        Error{Errc::kInvalidConfig, "socket path too long: " + socket_path.string()});
  }
  std::error_code ec;
  std::filesystem::remove(socket_path, ec);
  Fd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.ok() ||
      ::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener.get(), 1) != 0) {
    return std::unexpected(io_error("listening on " + socket_path.string()));
  }
  // QEMU may run as another user (-runas) by now: let it connect.
  ::chmod(socket_path.c_str(), 0666);
  Fd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out.ok()) return std::unexpected(io_error("creating " + file.string()));
  if (auto r = qmp.execute("stop", left(deadline)); !r) return std::unexpected(r.error());
  if (auto r = qmp.execute("migrate", left(deadline), {{"uri", "unix:" + socket_path.string()}});
      !r) {
    return std::unexpected(r.error());
  }
  pollfd pfd{listener.get(), POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(left(deadline).count())) <= 0) {
    return std::unexpected(Error{Errc::kTimeout, "QEMU did not connect its migration stream"});
  }
  Fd stream(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  std::filesystem::remove(socket_path, ec);
  if (!stream.ok()) return std::unexpected(io_error("accepting the migration stream"));
  std::vector<char> buf(1 << 20);
  for (;;) {
    pollfd in{stream.get(), POLLIN, 0};
    if (::poll(&in, 1, static_cast<int>(left(deadline).count())) <= 0) {
      return std::unexpected(Error{Errc::kTimeout, "the migration stream stalled"});
    }
    const ssize_t n = ::read(stream.get(), buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(io_error("reading the migration stream"));
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out.get(), buf.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0) return std::unexpected(io_error("writing " + file.string()));
      done += w;
    }
  }
  if (::fsync(out.get()) != 0) return std::unexpected(io_error("fsync " + file.string()));
  return wait_migration(qmp, deadline);
}

Result<void> load_migration(QmpClient& qmp, const std::filesystem::path& socket_path,
                            const std::filesystem::path& file, Clock::time_point deadline) {
  sockaddr_un addr;
  if (!fill_addr(socket_path, addr)) {
    return std::unexpected(
        Error{Errc::kInvalidConfig, "socket path too long: " + socket_path.string()});
  }
  Fd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.ok()) {
    return std::unexpected(Error{Errc::kMissingFile,
                                 "snapshot memory " + file.string() + ": " + std::strerror(errno)});
  }
  std::error_code ec;
  std::filesystem::remove(socket_path, ec);
  if (auto r = qmp.execute("migrate-incoming", left(deadline),
                           {{"uri", "unix:" + socket_path.string()}});
      !r) {
    return std::unexpected(r.error());
  }
  Fd stream(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  while (::connect(stream.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (Clock::now() >= deadline) {
      return std::unexpected(io_error("connecting to QEMU's incoming migration socket"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) return std::unexpected(io_error("reading " + file.string()));
    for (ssize_t done = 0; done < n;) {
      const ssize_t w =
          ::send(stream.get(), buf.data() + done, static_cast<std::size_t>(n - done), MSG_NOSIGNAL);
      if (w < 0) return std::unexpected(io_error("feeding the migration stream to QEMU"));
      done += w;
    }
  }
  ::shutdown(stream.get(), SHUT_WR);
  for (;;) {
    auto status = qmp.execute("query-status", left(deadline));
    if (!status) return std::unexpected(status.error());
    const std::string state = status->value("status", "");
    if (state == "running") break;
    if (state == "paused" || state == "postmigrate" || state == "prelaunch") {
      if (auto r = qmp.execute("cont", left(deadline)); !r) return std::unexpected(r.error());
      continue;
    }
    if (state != "inmigrate") {
      return std::unexpected(
          Error{Errc::kSpawn, "QEMU is " + state + " after loading the snapshot"});
    }
    if (Clock::now() >= deadline) {
      return std::unexpected(
          Error{Errc::kBootTimeout, "QEMU still loading the snapshot at the deadline"});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

}  // namespace aether::vmm
